import Foundation
import Synchronization

/// A real external program a test drives (the Python SDK, Mosquitto's clients): started with
/// Foundation's `Process`, its output collected line by line so tests can wait for a line,
/// and shown whole when a test fails.
public final class ExternalProcess: Sendable {
    private let process: Process
    private let input: Pipe
    private let buffer = LineBuffer()
    public let commandLine: String

    /// Starts `executable` with `arguments`; stdout and stderr are merged.
    /// - Throws: when the program cannot be started.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = input
        self.process = process
        self.input = input
        self.commandLine = ([executable] + arguments).joined(separator: " ")
        let buffer = self.buffer
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else { return }
            buffer.append(String(decoding: data, as: UTF8.self))
        }
        try process.run()
    }

    /// Every line printed so far (plus an unfinished last line).
    public var output: [String] { buffer.lines }

    /// The output as one text, for failure messages.
    public var transcript: String {
        Self.maskSignatures("$ \(commandLine)\n" + output.joined(separator: "\n"))
    }

    /// Replaces SAS signature values (`sig=...`) with `***`.
    static func maskSignatures(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let range = rest.range(of: "sig=") {
            result += rest[..<range.upperBound] + "***"
            rest = rest[range.upperBound...]
            rest = rest.drop { $0 != "&" && !$0.isWhitespace }
        }
        return result + rest
    }

    /// Waits until a line starting with `prefix` appears after `skipping` earlier matches.
    /// - Returns: the line, or `nil` on timeout or when the program ended first.
    public func waitForLine(startingWith prefix: String, timeout: Duration) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = output.first(where: { $0.hasPrefix(prefix) }) { return line }
            if !process.isRunning {
                try? await Task.sleep(for: .milliseconds(50))
                return output.first { $0.hasPrefix(prefix) }
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    /// Lines starting with `prefix`.
    public func lines(startingWith prefix: String) -> [String] {
        output.filter { $0.hasPrefix(prefix) }
    }

    /// Writes a line to the program's stdin.
    public func send(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    /// Waits for the program to end, killing it after `timeout`.
    /// - Returns: the exit status, or `nil` when it had to be killed.
    @discardableResult
    public func wait(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        guard !process.isRunning else {
            await stop()
            return nil
        }
        process.waitUntilExit()
        try? await Task.sleep(for: .milliseconds(20))
        return process.terminationStatus
    }

    /// Stops the program if it still runs: SIGTERM, then SIGKILL after a second (a
    /// reconnecting `mosquitto_sub` ignores SIGTERM).
    public func terminate() {
        guard process.isRunning else { return }
        process.terminate()
        let pid = process.processIdentifier
        for _ in 0..<100 where process.isRunning { usleep(10_000) }
        if process.isRunning { kill(pid, SIGKILL) }
    }

    /// ``terminate()`` and wait for the exit.
    public func stop() async {
        terminate()
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
    }
}

/// Output split into lines as it arrives.
private final class LineBuffer: Sendable {
    private let state = Mutex<(lines: [String], partial: String)>(([], ""))

    func append(_ text: String) {
        state.withLock { state in
            var parts = (state.partial + text).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            state.partial = parts.removeLast()
            state.lines += parts
        }
    }

    var lines: [String] {
        state.withLock { $0.lines + ($0.partial.isEmpty ? [] : [$0.partial]) }
    }
}
