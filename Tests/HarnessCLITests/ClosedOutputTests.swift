import Foundation
import HarnessTestSupport
import Testing

/// Output to a reader that went away (`harness run ... | head -1`): the run drops what it
/// cannot show, writes its reports and returns its status; it does not crash.
@Suite struct ClosedOutputTests {
    @Test("harness run with its standard output on a pipe whose reader closed: exit 0, reports written, no crash")
    func closedPipe() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-closed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = Pipe()
        let errors = Pipe()
        // The reader is gone before the run writes its first line.
        try output.fileHandleForReading.close()
        let process = Process()
        process.executableURL = try URL(fileURLWithPath: HarnessBinary.path())
        process.arguments = ["run", Repository.root.appendingPathComponent("scenarios/c2d-led.yaml").path, "--reports", "r", "--junit", "r/junit.xml"]
        process.currentDirectoryURL = folder
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        try output.fileHandleForWriting.close()
        let ended = await HarnessBinary.wait(for: process, timeout: .seconds(120))
        #expect(ended)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(stderr)")
        #expect(!stderr.contains("crashed") && !stderr.contains("Fatal error"), "\(stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("r/junit.xml").path))
    }
}
