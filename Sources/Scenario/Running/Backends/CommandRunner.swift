import Foundation

/// Runs a short command (a C2D sender such as the Azure CLI) and collects how it ended.
enum CommandRunner {
    enum Outcome: Sendable, Hashable {
        /// The command exited with `status`; `output` is the tail of what it printed.
        case exited(Int32, output: String)
        case timedOut
        case failedToStart(String)
    }

    /// Runs `arguments` (the first is looked up on `PATH` unless it has a slash), waiting up
    /// to `timeout`, with standard output and error captured together.
    static func run(_ arguments: [String], timeout: Duration) async -> Outcome {
        guard let program = arguments.first else { return .failedToStart("empty command") }
        let process = Process()
        if program.contains("/") {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = Array(arguments.dropFirst())
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = arguments
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        let finished = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { process in
            finished.continuation.yield(process.terminationStatus)
            finished.continuation.finish()
        }
        do {
            try process.run()
        } catch {
            return .failedToStart(error.localizedDescription)
        }
        let reader = Task.detached { pipe.fileHandleForReading.readDataToEndOfFile() }
        let status = try? await withTimeout(timeout) { () async -> Int32? in
            for await status in finished.stream { return status }
            return nil
        }
        guard let status, let status else {
            process.terminate()
            return .timedOut
        }
        // A background child of the command may hold the pipe open; do not wait for it forever.
        let data = (try? await withTimeout(.seconds(1)) { await reader.value }) ?? nil
        let output = String(decoding: data ?? Data(), as: UTF8.self)
        let tail = output.split(separator: "\n").suffix(5).joined(separator: " | ")
        return .exited(status, output: String(tail.prefix(500)))
    }
}
