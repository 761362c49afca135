import Foundation

/// Runs real command-line tools the tests rely on (xmllint, tshark, chromium, mosquitto).
/// A missing tool is an error naming the Debian package, never a skip.
public enum ExternalTool {
    /// Why a tool could not be used.
    public struct Missing: Error, CustomStringConvertible {
        public var description: String
    }

    /// The output of a finished command.
    public struct Output: Sendable {
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
    }

    /// The path of `name` on PATH or in the usual system folders.
    /// - Throws: ``Missing`` naming the package that provides it.
    public static func locate(_ name: String, package: String) throws -> String {
        try Repository.tool(name, package: package)
    }

    /// Runs `path` with `arguments`, waiting at most `timeout`; output goes through files so
    /// large outputs cannot block the process.
    ///
    /// Waits with `Task.sleep`, never blocking a thread of the concurrency pool (on a 2-core
    /// machine a blocked pool thread stalls every other test).
    public static func run(_ path: String, _ arguments: [String], timeout: Duration = .seconds(60)) async throws -> Output {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-tool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outputURL = folder.appendingPathComponent("stdout")
        let errorURL = folder.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        if process.isRunning { process.terminate() }
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        return Output(
            status: process.terminationStatus,
            standardOutput: (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
        )
    }
}
