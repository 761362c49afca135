import Foundation

/// The `harness` executable built next to the test bundle, for tests that check a whole
/// process: its console output and exit status.
public enum HarnessBinary {
    /// The path of the built `harness`.
    /// - Throws: ``ExternalTool/Missing`` when it was not built (run `swift build` first).
    public static func path() throws -> String {
        var folder = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("harness").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        for bundle in Bundle.allBundles {
            let candidate = bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("harness").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw ExternalTool.Missing(description: "the harness executable was not built next to the tests; run swift build")
    }

    /// The URL of the built `harness`, for tests that start it as a process themselves.
    public static var url: URL {
        (try? URL(fileURLWithPath: path())) ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("harness")
    }

    /// Waits for `process` to exit, terminating it after `timeout`.
    /// - Returns: whether it exited by itself.
    public static func wait(for process: Process, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            process.terminate()
            return false
        }
        return true
    }

    /// Runs `harness` with `arguments` in `directory`, with `environment` added to this
    /// process's (as a pod's variables).
    public static func run(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:], timeout: Duration = .seconds(120)) async throws -> ExternalTool.Output {
        let binary = try path()
        let command = environment.isEmpty ? [binary] : ["/usr/bin/env"] + environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + [binary]
        guard let directory else { return try await ExternalTool.run(command[0], Array(command.dropFirst()) + arguments, timeout: timeout) }
        return try await ExternalTool.run("/bin/sh", ["-c", "cd \"$0\" && exec \"$@\"", directory] + command + arguments, timeout: timeout)
    }
}
