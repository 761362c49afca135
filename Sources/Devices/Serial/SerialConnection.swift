import Foundation
import MQTTCore
import Synchronization

/// Drives a ``RawREPLMachine`` over an open ``SerialPort``: a reader thread feeds it the
/// board's bytes, its writes go to the port, program output becomes lines, and commands wait
/// for their completion with a deadline.
final class SerialConnection: Sendable {
    private struct State {
        var machine = RawREPLMachine()
        var waiter: CheckedContinuation<Result<RawREPLMachine.Completion, SerialPortError>, Never>?
        var lineBuffer: [UInt8] = []
        var isStopped = false
        /// A completion that arrived while nobody waited (for example a program's end).
        var unclaimed: [RawREPLMachine.Completion] = []
    }

    private let port: SerialPort
    private let state = Mutex(State())
    private let onLine: @Sendable (String) -> Void
    private let onProgramEnd: @Sendable (String) -> Void
    /// Pause after each written chunk of code, so a board's UART buffer keeps up.
    private let pacing: Duration

    /// Opens the port and starts reading.
    /// - Parameters:
    ///   - onLine: every line the running program prints (without the line break).
    ///   - onProgramEnd: a program ended by itself; the argument is its error output.
    init(
        settings: SerialPortSettings,
        pacing: Duration,
        onLine: @escaping @Sendable (String) -> Void,
        onProgramEnd: @escaping @Sendable (String) -> Void
    ) throws(SerialPortError) {
        self.port = try SerialPort(settings)
        self.pacing = pacing
        self.onLine = onLine
        self.onProgramEnd = onProgramEnd
        let connection = self
        Thread.detachNewThread { connection.readLoop() }
    }

    var path: String { port.settings.path }

    private func readLoop() {
        // The loop owns the descriptor and closes it when it ends: closed from another thread
        // while the loop still polls it, its number could be reused by the next port opened
        // (another board's pty), whose bytes this loop would then take.
        defer { port.close() }
        while !state.withLock({ $0.isStopped }) {
            do {
                let bytes = try port.read(timeoutMilliseconds: 50)
                if !bytes.isEmpty { handle(state.withLock { $0.machine.received(bytes) }) }
            } catch {
                let (wasStopped, waiter) = state.withLock { state in
                    defer {
                        state.waiter = nil
                        state.isStopped = true
                    }
                    return (state.isStopped, state.waiter)
                }
                if wasStopped { return }
                waiter?.resume(returning: .failure(error))
                onProgramEnd("the serial port failed: \(error.reason)")
                return
            }
        }
    }

    /// Carries out the machine's actions (on the calling thread).
    private func handle(_ actions: [RawREPLMachine.Action], paced: Bool = false) {
        for action in actions {
            switch action {
            case .write(let bytes):
                try? port.write(bytes)
                if paced { Thread.sleep(forTimeInterval: Double(pacing.nanoseconds) / 1e9) }
            case .output(let bytes):
                for line in state.withLock({ Self.lines(adding: bytes, to: &$0.lineBuffer) }) { onLine(line) }
            case .completed(let completion):
                complete(.success(completion))
            case .failed(let reason):
                complete(.failure(SerialPortError(path: port.settings.path, reason: reason)))
            }
        }
    }

    private func complete(_ result: Result<RawREPLMachine.Completion, SerialPortError>) {
        let waiter = state.withLock { state -> CheckedContinuation<Result<RawREPLMachine.Completion, SerialPortError>, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            if case .success(let completion) = result { state.unclaimed.append(completion) }
            return nil
        }
        if let waiter {
            waiter.resume(returning: result)
        } else if case .success(.executed(let errorOutput)) = result {
            let rest = state.withLock { state in
                defer { state.lineBuffer = [] }
                return state.lineBuffer
            }
            if !rest.isEmpty { onLine(String(decoding: rest, as: UTF8.self)) }
            onProgramEnd(errorOutput)
        }
    }

    /// Runs a command of the machine and waits for its completion.
    /// - Throws: ``SerialPortError`` when the board breaks the protocol or does not answer
    ///   within `timeout`.
    func run(
        _ command: (inout RawREPLMachine) -> [RawREPLMachine.Action],
        expecting what: String,
        timeout: Duration,
        paced: Bool = false
    ) async throws(SerialPortError) -> RawREPLMachine.Completion {
        let timer = Mutex<Task<Void, Never>?>(nil)
        defer { timer.withLock { $0?.cancel() } }
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<RawREPLMachine.Completion, SerialPortError>, Never>) in
            let actions = state.withLock { state -> [RawREPLMachine.Action]? in
                guard !state.isStopped else { return nil }
                state.unclaimed = []
                state.waiter = continuation
                return command(&state.machine)
            }
            guard let actions else {
                continuation.resume(returning: .failure(SerialPortError(path: port.settings.path, reason: "the connection is closed")))
                return
            }
            handle(actions, paced: paced)
            let path = port.settings.path
            let task = Task { [weak self] in
                try? await Task.sleep(for: timeout)
                guard !Task.isCancelled, let self else { return }
                let waiter = self.state.withLock { state in
                    defer { state.waiter = nil }
                    return state.waiter
                }
                waiter?.resume(returning: .failure(SerialPortError(path: path, reason: "the board did not answer: no \(what) within \(timeout)")))
            }
            timer.withLock { $0 = task }
        }
        return try result.get()
    }

    /// Starts `code` and returns once the board accepted it (the program keeps running).
    func start(_ code: String, timeout: Duration) async throws(SerialPortError) {
        let actions = state.withLock { state -> [RawREPLMachine.Action] in
            state.lineBuffer = []
            return state.machine.execute(code)
        }
        if case .failed(let reason)? = actions.first {
            throw SerialPortError(path: port.settings.path, reason: reason)
        }
        handle(actions, paced: true)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let phase = state.withLock { $0.machine.phase }
            switch phase {
            case .runningOutput, .runningErrorOutput, .awaitingPrompt, .ready: return
            case .failed: throw SerialPortError(path: port.settings.path, reason: "the board did not accept the code")
            default: try? await Task.sleep(for: .milliseconds(2))
            }
        }
        throw SerialPortError(path: port.settings.path, reason: "the board did not answer: no OK within \(timeout)")
    }

    /// Whether a program runs on the board.
    var isRunning: Bool { state.withLock { $0.machine.isRunning } }

    /// Stops reading; the read loop closes the port as it ends (within its 50 ms poll).
    func close() {
        state.withLock { $0.isStopped = true }
    }

    /// Appends `bytes` to `buffer` and returns the complete lines (without `\r\n`).
    static func lines(adding bytes: [UInt8], to buffer: inout [UInt8]) -> [String] {
        buffer += bytes
        var lines: [String] = []
        while let newline = buffer.firstIndex(of: 0x0A) {
            var line = Array(buffer[..<newline])
            if line.last == 0x0D { line.removeLast() }
            lines.append(String(decoding: line, as: UTF8.self))
            buffer.removeFirst(newline + 1)
        }
        return lines
    }
}
