import Foundation
import Synchronization

/// The MicroPython unix port's own REPL on a pseudo-terminal, for tests: a real raw REPL (the
/// interpreter's, not an emulation) that the serial device drives as it would a board. Its
/// path holds what a board has built in and the port lacks (`network`, `machine.Pin`, from
/// the seed firmware's stand-ins) and umqtt.simple, as a board would have it in its
/// filesystem. One difference from a board: `\x04` on an empty raw REPL ends the interpreter
/// where a board soft-resets, so the device must run it with `resume`.
///
/// Two pty pairs joined back to back, as socat joins them: the interpreter's terminal (its
/// controlling terminal, so Ctrl-C interrupts running code as on a board), and the one the
/// device opens; a thread copies bytes between their master sides.
public final class MicroPythonBoard: Sendable {
    /// The terminal the device opens, for example `/dev/pts/7`.
    public let path: String
    /// The board's filesystem: the interpreter's working directory (`ca.pem` is written here).
    public let folder: URL
    private let interpreterSide: Int32
    private let interpreterSlave: Int32
    private let deviceSide: Int32
    private let deviceSlave: Int32
    private let pid: pid_t
    private let stopped = Mutex(false)

    /// Starts `micropython` on a fresh terminal and waits for its `>>> ` prompt; the device
    /// opens ``path``.
    /// - Parameters:
    ///   - interpreter: the unix port's executable.
    ///   - libraries: folders put on `MICROPYPATH` (before `.frozen`), for example the stand-ins
    ///     and umqtt.simple.
    public init(interpreter: String, libraries: [String]) throws {
        var master: Int32 = 0
        var slave: Int32 = 0
        var deviceMaster: Int32 = 0
        var deviceSlave: Int32 = 0
        guard openpty(&master, &slave, nil, nil, nil) == 0, openpty(&deviceMaster, &deviceSlave, nil, nil, nil) == 0 else {
            throw BoardEmulator.EmulatorError(description: "openpty failed: \(String(cString: strerror(errno)))")
        }
        // ttyname answers in one static buffer: each name is copied before the next call.
        guard let deviceName = ttyname(deviceSlave).map({ String(cString: $0) }), let interpreterTerminal = ttyname(slave).map({ String(cString: $0) }) else {
            throw BoardEmulator.EmulatorError(description: "ttyname failed: \(String(cString: strerror(errno)))")
        }
        path = deviceName
        // Both terminals pass bytes as they are (no echo, no line editing, no CR/LF changes),
        // but the interpreter's keeps ISIG: the unix port takes Ctrl-C as SIGINT from its
        // controlling terminal while code runs, where a board's UART interrupt catches it.
        for descriptor in [slave, deviceSlave] {
            var settings = termios()
            tcgetattr(descriptor, &settings)
            cfmakeraw(&settings)
            if descriptor == slave { settings.c_lflag |= tcflag_t(ISIG) }
            tcsetattr(descriptor, TCSANOW, &settings)
        }
        interpreterSide = master
        interpreterSlave = slave
        deviceSide = deviceMaster
        // Held open so the device's side never sees a hang-up between its opens.
        self.deviceSlave = deviceSlave
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("micropython-board-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["MICROPYPATH"] = (libraries + [".frozen"]).joined(separator: ":")
        pid = try Self.spawn(
            interpreter,
            terminal: interpreterTerminal,
            folder: folder.path,
            environment: environment,
            closing: [master, slave, deviceMaster, deviceSlave]
        )
        // The device may send Ctrl-C at once: it must meet an interpreter that handles it.
        try Self.awaitPrompt(on: master, pid: pid)
        let board = self
        Thread.detachNewThread { board.relay() }
    }

    /// Whether the interpreter still runs.
    public var isRunning: Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    /// Ends the interpreter and closes the terminals.
    public func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        stopped.withLock { $0 = true }
        Thread.sleep(forTimeInterval: 0.1)
        for descriptor in [interpreterSide, interpreterSlave, deviceSide, deviceSlave] { close(descriptor) }
        try? FileManager.default.removeItem(at: folder)
    }

    /// Copies bytes between the two master sides until stopped.
    private func relay() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var pollers = [pollfd(fd: interpreterSide, events: Int16(POLLIN), revents: 0), pollfd(fd: deviceSide, events: Int16(POLLIN), revents: 0)]
        while !stopped.withLock({ $0 }) {
            guard poll(&pollers, 2, 50) > 0 else { continue }
            for index in pollers.indices where pollers[index].revents & Int16(POLLIN) != 0 {
                let target = index == 0 ? deviceSide : interpreterSide
                let count = buffer.withUnsafeMutableBytes { read(pollers[index].fd, $0.baseAddress, $0.count) }
                guard count > 0 else { continue }
                var written = 0
                while written < count {
                    let result = buffer.withUnsafeBytes { write(target, $0.baseAddress! + written, count - written) }
                    if result <= 0 { break }
                    written += result
                }
            }
            // A side that hung up (the interpreter ended) is polled no more.
            for index in pollers.indices where pollers[index].revents & Int16(POLLHUP | POLLERR) != 0 {
                pollers[index].fd = -1
            }
        }
    }

    /// glibc's POSIX_SPAWN_SETSID (spawn.h), which Swift's Glibc module does not import.
    private static let spawnSetSID: Int32 = 0x80

    /// Starts `interpreter` as the leader of a new session whose controlling terminal is
    /// `terminal` (its standard input, output and error), with no signal blocked (the
    /// harness's threads block most).
    private static func spawn(_ interpreter: String, terminal: String, folder: String, environment: [String: String], closing: [Int32]) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(Self.spawnSetSID | POSIX_SPAWN_SETSIGMASK))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor in closing { posix_spawn_file_actions_addclose(&actions, descriptor) }
        // Opened by the session leader without O_NOCTTY: it becomes the controlling terminal.
        posix_spawn_file_actions_addopen(&actions, 0, terminal, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        // The shell changes into the board's folder, then becomes the interpreter (same process).
        let script = "cd \"$1\" && exec \"$2\""
        let words: [String] = ["sh", "-c", script, "sh", folder, interpreter]
        let arguments: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        let variables: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            arguments.forEach { free($0) }
            variables.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, "/bin/sh", &actions, &attributes, arguments, variables)
        guard result == 0 else {
            throw BoardEmulator.EmulatorError(description: "cannot start \(interpreter): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Reads the interpreter's banner up to its `>>> ` prompt (at most 10 s).
    private static func awaitPrompt(on master: Int32, pid: pid_t) throws {
        var seen: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            seen += buffer[0..<count]
            if String(decoding: seen, as: UTF8.self).hasSuffix(">>> ") { return }
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        throw BoardEmulator.EmulatorError(description: "the interpreter showed no >>> prompt: \(String(decoding: seen.suffix(200), as: UTF8.self))")
    }
}
