import Foundation
import Synchronization

/// A MicroPython board on a pseudo-terminal, for tests: the far end of a pty pair that speaks
/// the raw REPL byte for byte as a board does (banner, `OK`, output, `\x04`, error output,
/// `\x04`, `>`, soft reboot, Ctrl-C, Ctrl-B). It interprets nothing itself: code it is sent is
/// run by CPython through the firmware launcher (`run.py --exec`) with the MicroPython shims,
/// and the program's output goes back over the terminal, `\n` as `\r\n`.
public final class BoardEmulator: Sendable {
    private struct State {
        var isRaw = false
        var code: [UInt8] = []
        var received: [UInt8] = []
        var program: RunningProgram?
        var isStopped = false
        var programsRun = 0
    }

    /// The terminal the device opens, for example `/dev/pts/7`.
    public let path: String
    private let master: Int32
    private let slave: Int32
    private let python: String
    private let launcher: String
    private let workingDirectory: URL
    private let state = Mutex(State())
    /// Whether the board answers at all (a silent board tests timeouts).
    private let answers: Bool

    /// Opens a pty pair and starts answering on its master side.
    /// - Parameters:
    ///   - python: the interpreter that runs uploaded code.
    ///   - launcher: the firmware launcher (`run.py`) whose shims stand in for MicroPython.
    ///   - answers: `false` makes a board that never answers.
    public init(python: String, launcher: String, answers: Bool = true) throws {
        var master: Int32 = 0
        var slave: Int32 = 0
        guard openpty(&master, &slave, nil, nil, nil) == 0, let name = ttyname(slave) else {
            throw EmulatorError(description: "openpty failed: \(String(cString: strerror(errno)))")
        }
        self.path = String(cString: name)
        self.master = master
        self.slave = slave
        self.python = python
        self.launcher = launcher
        self.answers = answers
        self.workingDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("board-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: workingDirectory, withIntermediateDirectories: true)
        let emulator = self
        Thread.detachNewThread { emulator.readLoop() }
    }

    /// Every byte the device sent, in order.
    public var receivedBytes: [UInt8] { state.withLock { $0.received } }

    /// How many programs the board ran.
    public var programsRun: Int { state.withLock { $0.programsRun } }

    /// Stops the emulator and closes the terminal.
    public func stop() {
        let program = state.withLock { state in
            state.isStopped = true
            return state.program
        }
        program?.kill()
        close(master)
        close(slave)
        try? FileManager.default.removeItem(at: workingDirectory)
    }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !state.withLock({ $0.isStopped }) {
            var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
            guard count > 0 else {
                if count < 0, errno == EAGAIN || errno == EINTR || errno == EIO { usleep(10_000); continue }
                return
            }
            let bytes = Array(buffer.prefix(count))
            state.withLock { $0.received += bytes }
            guard answers else { continue }
            for byte in bytes { handle(byte) }
        }
    }

    private func send(_ text: String) {
        send(Array(text.utf8))
    }

    private func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(master, $0.baseAddress, $0.count) }
            if written <= 0 {
                if errno == EAGAIN || errno == EINTR { usleep(1000); continue }
                return
            }
            offset += written
        }
    }

    private func handle(_ byte: UInt8) {
        enum Reaction {
            case none, interrupt(RunningProgram), banner, friendly, softReboot, run([UInt8]), friendlyPrompt
        }
        let reaction = state.withLock { state -> Reaction in
            if let program = state.program {
                return byte == 0x03 ? .interrupt(program) : .none
            }
            guard state.isRaw else {
                switch byte {
                case 0x01:
                    state.isRaw = true
                    state.code = []
                    return .banner
                case 0x03: return .friendlyPrompt
                default: return .none
                }
            }
            switch byte {
            case 0x01:
                state.code = []
                return .banner
            case 0x02:
                state.isRaw = false
                return .friendly
            case 0x03:
                state.code = []
                return .none
            case 0x04:
                let code = state.code
                state.code = []
                return code.isEmpty ? .softReboot : .run(code)
            default:
                state.code.append(byte)
                return .none
            }
        }
        switch reaction {
        case .none: break
        case .interrupt(let program): program.interrupt()
        case .banner: send("\r\nraw REPL; CTRL-B to exit\r\n>")
        case .friendlyPrompt: send("\r\n>>> ")
        case .friendly: send("\r\nMicroPython v1.19.1 on 2022-06-18; ESP module with ESP8266 (emulated)\r\nType \"help()\" for more information.\r\n>>> ")
        case .softReboot: send("soft reboot\r\nraw REPL; CTRL-B to exit\r\n>")
        case .run(let code): run(code)
        }
    }

    private func run(_ code: [UInt8]) {
        send("OK")
        let file = workingDirectory.appendingPathComponent("program-\(UUID().uuidString).py")
        do {
            try Data(code).write(to: file)
            // A program that ends at once can end before it is recorded as running; it must not
            // be recorded then, or every later byte but Ctrl-C would go to a program long gone.
            let runsBefore = state.withLock { $0.programsRun }
            let program = try RunningProgram(python: python, arguments: ["-u", launcher, "--exec", file.path], workingDirectory: workingDirectory) { [weak self] bytes in
                self?.send(bytes.flatMap { $0 == 0x0A ? [0x0D, 0x0A] : [$0] })
            } onExit: { [weak self] errorOutput in
                guard let self else { return }
                self.state.withLock {
                    $0.program = nil
                    $0.programsRun += 1
                }
                let error = Array(errorOutput).flatMap { $0 == 0x0A ? [UInt8(0x0D), 0x0A] : [$0] }
                self.send([0x04] + error + [0x04] + Array(">".utf8))
            }
            state.withLock { state in
                if state.programsRun == runsBefore { state.program = program }
            }
        } catch {
            send([0x04] + Array("OSError: \(error)\r\n".utf8) + [0x04] + Array(">".utf8))
        }
    }

    /// A problem setting up the emulator.
    public struct EmulatorError: Error, CustomStringConvertible {
        public var description: String
    }
}

/// One program the emulated board runs, as a CPython process started with no blocked
/// signals (so Ctrl-C reaches it as SIGINT and ends it with `KeyboardInterrupt`).
private final class RunningProgram: @unchecked Sendable {
    private let process = Process()

    init(
        python: String,
        arguments: [String],
        workingDirectory: URL,
        onOutput: @escaping @Sendable ([UInt8]) -> Void,
        onExit: @escaping @Sendable (Data) -> Void
    ) throws {
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments
        process.currentDirectoryURL = workingDirectory
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        let process = self.process
        let failure = Mutex<String?>(nil)
        let started = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var empty = sigset_t()
            sigemptyset(&empty)
            pthread_sigmask(SIG_SETMASK, &empty, nil)
            do { try process.run() } catch { failure.withLock { $0 = "\(error)" } }
            started.signal()
        }
        started.wait()
        if let message = failure.withLock({ $0 }) { throw BoardEmulator.EmulatorError(description: message) }
        try? output.fileHandleForWriting.close()
        try? errors.fileHandleForWriting.close()
        let errorData = Mutex(Data())
        let errorsDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let data = errors.fileHandleForReading.readDataToEndOfFile()
            errorData.withLock { $0 = data }
            errorsDone.signal()
        }
        Thread.detachNewThread {
            while true {
                let data = output.fileHandleForReading.availableData
                if data.isEmpty { break }
                onOutput(Array(data))
            }
            errorsDone.wait()
            process.waitUntilExit()
            onExit(errorData.withLock { $0 })
        }
    }

    func interrupt() {
        if process.isRunning { signal(SIGINT) }
    }

    func kill() {
        if process.isRunning { signal(SIGKILL) }
    }

    private func signal(_ number: Int32) {
        _ = sendSignal(process.processIdentifier, number)
    }
}

private func sendSignal(_ pid: Int32, _ number: Int32) -> Int32 {
    kill(pid, number)
}
