import Foundation
import MQTTCore
import Synchronization

/// Why a firmware process could not be started.
public struct ProcessDeviceError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// One run of a firmware command: started with its output (stdout and stderr together) on a
/// pipe that a reader thread splits into lines. Reports every line and, once the output ends,
/// how the process ended.
final class FirmwareProcess: Sendable {
    private let process: ProcessBox
    private let state = ProcessRunState()
    let pid: Int32

    /// Starts `command` (a path, or a name looked up in the environment's `PATH`).
    /// - Parameters:
    ///   - onLine: called on the reader thread for every line of output, in order.
    ///   - onExit: called on the reader thread once the output ended and the process exited,
    ///     with a description of how, and whether the harness had asked it to stop.
    /// - Throws: ``ProcessDeviceError`` when the command cannot be found or started.
    init(
        command: String,
        arguments: [String],
        environment: [String: String],
        workingDirectory: String,
        onLine: @escaping @Sendable (String) -> Void,
        onExit: @escaping @Sendable (_ description: String, _ expected: Bool) -> Void
    ) throws(ProcessDeviceError) {
        let executable = try Self.resolve(command, workingDirectory: workingDirectory, path: environment["PATH"])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        if let failure = Self.runWithSignalsUnblocked(ProcessBox(process)) {
            throw ProcessDeviceError("cannot start '\(command)': \(failure)")
        }
        try? pipe.fileHandleForWriting.close()
        self.pid = process.processIdentifier
        let box = ProcessBox(process)
        self.process = box
        let reading = pipe.fileHandleForReading
        let state = self.state
        Thread.detachNewThread {
            var pending = Data()
            while true {
                let data = reading.availableData
                if data.isEmpty { break }
                pending.append(data)
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = pending[pending.startIndex..<newline]
                    onLine(String(decoding: line, as: UTF8.self))
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            if !pending.isEmpty { onLine(String(decoding: pending, as: UTF8.self)) }
            try? reading.close()
            box.process.waitUntilExit()
            let description: String
            switch box.process.terminationReason {
            case .exit: description = "exited with status \(box.process.terminationStatus)"
            case .uncaughtSignal: description = "was killed by signal \(box.process.terminationStatus)"
            @unknown default: description = "ended (status \(box.process.terminationStatus))"
            }
            let expected = state.withLock { $0.stopping }
            onExit(description, expected)
            state.withLock { $0.finished = true }
        }
    }

    /// Whether the process has ended and its end was reported.
    var isFinished: Bool { state.withLock { $0.finished } }

    /// Asks the process to stop (SIGTERM), kills it after `grace` (SIGKILL), and returns once
    /// its end was reported.
    func stop(grace: Duration) async {
        state.withLock { $0.stopping = true }
        if process.process.isRunning { kill(pid, SIGTERM) }
        let deadline = ContinuousClock.now + grace
        while !isFinished, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        if !isFinished {
            kill(pid, SIGKILL)
            let hardDeadline = ContinuousClock.now + .seconds(5)
            while !isFinished, ContinuousClock.now < hardDeadline {
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    /// Starts the process from a fresh thread whose signal mask is empty. A child inherits
    /// the signal mask of the thread that spawns it, and the harness's threads block most
    /// signals, which would leave the firmware deaf to SIGTERM and SIGINT.
    /// - Returns: why it could not start, or `nil`.
    private static func runWithSignalsUnblocked(_ box: ProcessBox) -> String? {
        let result = Mutex<String??>(.none)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            var empty = sigset_t()
            sigemptyset(&empty)
            pthread_sigmask(SIG_SETMASK, &empty, nil)
            let failure: String?
            do {
                try box.process.run()
                failure = nil
            } catch {
                failure = error.localizedDescription
            }
            result.withLock { $0 = .some(failure) }
            done.signal()
        }
        done.wait()
        return result.withLock { $0 } ?? "the process did not start"
    }

    /// The executable `command` names.
    static func resolve(_ command: String, workingDirectory: String, path: String?) throws(ProcessDeviceError) -> String {
        let fileManager = FileManager.default
        if command.contains("/") {
            let full = command.hasPrefix("/") ? command : URL(fileURLWithPath: workingDirectory).appendingPathComponent(command).path
            guard fileManager.isExecutableFile(atPath: full) else {
                throw ProcessDeviceError("command '\(command)' is not an executable file (looked at \(full))")
            }
            return full
        }
        let searchPath = path ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in searchPath.split(separator: ":") where !directory.isEmpty {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(command).path
            if fileManager.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ProcessDeviceError("command '\(command)' was not found on PATH")
    }
}

/// Foundation's `Process` is not `Sendable`; it is only touched by its reader thread and
/// through thread-safe calls (`isRunning`).
/// Whether the harness asked a process to stop, and whether its end was reported.
private final class ProcessRunState: Sendable {
    struct Flags {
        var stopping = false
        var finished = false
    }

    private let flags = Mutex(Flags())

    func withLock<T>(_ body: (inout Flags) -> T) -> T {
        flags.withLock { body(&$0) }
    }
}

private final class ProcessBox: @unchecked Sendable {
    let process: Process

    init(_ process: Process) {
        self.process = process
    }
}
