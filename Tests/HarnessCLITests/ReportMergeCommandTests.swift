import Foundation
import HarnessTestSupport
@testable import HarnessCLI
import Reporting
import Testing

/// `harness report merge` as users call it: two real runs merged, the result schema-valid
/// and the same every time; bad input exits 2 and leaves a good merged report as it was.
@Suite(.serialized) struct ReportMergeCommandTests {
    @Test("two runs merge into one valid JUnit, histograms and an overview linking both runs' reports; again: the same bytes")
    func mergeTwoRuns() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-merge-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for shard in ["s1", "s2"] {
            let status = await HarnessCommand.runMain(arguments: [
                "run", CommandTests.path("scenarios/c2d-led.yaml"), "--junit", "\(folder)/\(shard)/junit.xml", "--reports", "\(folder)/\(shard)", "--quiet", "--no-color", "--deadline-scale", "10",
            ])
            #expect(status == 0)
            #expect(FileManager.default.fileExists(atPath: "\(folder)/\(shard)/index.html"))
        }
        let merged = "\(folder)/merged/junit.xml"
        let arguments = ["report", "merge", "\(folder)/s2/junit.xml", "\(folder)/s1/junit.xml", "--junit", merged]
        #expect(await HarnessCommand.runMain(arguments: arguments) == 0)
        try await JUnitSchema.validate(fileAt: merged)
        let first = try Data(contentsOf: URL(fileURLWithPath: merged))
        let firstHistograms = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/merged/junit.histograms.json"))
        let index = try String(contentsOfFile: "\(folder)/merged/index.html", encoding: .utf8)
        #expect(index.contains("href=\"../s1/c2d-led/report.html\"") && index.contains("href=\"../s2/c2d-led/report.html\""))
        #expect(await HarnessCommand.runMain(arguments: ["report", "merge", "\(folder)/s1/junit.xml", "\(folder)/s2/junit.xml", "--junit", merged]) == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: merged)) == first)
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(folder)/merged/junit.histograms.json")) == firstHistograms)
        let report = try JUnitXMLReader.read(path: merged)
        #expect(report.suites.count == 2 && report.suites.allSatisfy { $0.name == "c2d-led" })

        // An overview that cannot be written: exit 2, and the merged JUnit is not replaced either.
        try Data("a file".utf8).write(to: URL(fileURLWithPath: "\(folder)/blocked"))
        let blocked = try await HarnessBinary.run(["report", "merge", "\(folder)/s1/junit.xml", "--junit", merged, "--overview", "\(folder)/blocked/index.html"])
        #expect(blocked.status == 2 && blocked.standardError.contains("blocked/index.html"), "\(blocked.standardError)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: merged)) == first)

        // Damaged input: exit 2 naming the file, and the good merged report stays as it was.
        try Data("<testsuites><testsuite".utf8).write(to: URL(fileURLWithPath: "\(folder)/s2/junit.xml"))
        let damaged = try await HarnessBinary.run(["report", "merge", "\(folder)/s1/junit.xml", "\(folder)/s2/junit.xml", "--junit", merged])
        #expect(damaged.status == 2)
        #expect(damaged.standardError.contains("\(folder)/s2/junit.xml: damaged XML"), "\(damaged.standardError)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: merged)) == first)
        // A missing histograms file names that file.
        try FileManager.default.removeItem(atPath: "\(folder)/s1/junit.histograms.json")
        let missing = try await HarnessBinary.run(["report", "merge", "\(folder)/s1/junit.xml", "--junit", merged])
        #expect(missing.status == 2 && missing.standardError.contains("s1/junit.histograms.json"), "\(missing.standardError)")
        // No input, or an output over an input.
        #expect(await HarnessCommand.runMain(arguments: ["report", "merge"]) == 2)
        #expect(await HarnessCommand.runMain(arguments: ["report", "merge", merged, "--junit", merged]) == 2)
        #expect(try Data(contentsOf: URL(fileURLWithPath: merged)) == first)
    }
}
