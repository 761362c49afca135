import Foundation
import HarnessTestSupport
import Reporting
@testable import Scenario
import Synchronization
import Testing

/// The suite runner `harness run` and `harness conform` share: load everything first, run,
/// write JUnit and the per-run reports, tell a console what happens.
@Suite struct SuiteRunnerTests {
    final class Events: Sendable {
        let names = Mutex<[String]>([])
        func append(_ event: SuiteRunner.Event) {
            let name: String
            switch event {
            case .note: name = "note"
            case .secretsChanged: name = "secrets"
            case .runStarted(let title, _, _): name = "start \(title)"
            case .stepFinished(let step, _): name = "step \(step.step.number)"
            case .recorded: name = "recorded"
            case .setupFailed: name = "setup failed"
            }
            names.withLock { $0.append(name) }
        }
        var all: [String] { names.withLock { $0 } }
    }

    func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("harness-suite-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("the seed scenario: its steps reported in order, JUnit and the run's reports written, the counts added up")
    func seed() async throws {
        let reports = try folder()
        defer { try? FileManager.default.removeItem(atPath: reports) }
        let file = ScenarioLoaderTests.repositoryRoot.appendingPathComponent("scenarios/c2d-led.yaml").path
        // Deadlines stretched for a machine busy with the rest of the suite.
        var options = SuiteRunner.Options(files: [file], junitPath: reports + "/junit.xml", reportsFolder: reports, deadlineScale: 10)
        options.localHubStatePath = nil
        let events = Events()
        let outcome = try await SuiteRunner().run(options) { events.append($0) }
        #expect(outcome.passedSteps == 7 && outcome.failedSteps == 0 && outcome.failedRuns == 0, "\(outcome.results.first?.result.steps.map { "\($0.step.number) \($0.status)" } ?? [])")
        #expect(outcome.results.count == 1 && outcome.scenarioCount == 1)
        let shown = events.all.filter { $0 != "secrets" }
        #expect(shown == ["start c2d-led"] + (1...7).map { "step \($0)" }, "\(shown)")
        #expect(FileManager.default.fileExists(atPath: reports + "/junit.xml"))
        #expect(FileManager.default.fileExists(atPath: reports + "/c2d-led/trace.jsonl"))
    }

    @Test("every file that does not load is reported at once, and nothing runs")
    func loadErrors() async throws {
        let reports = try folder()
        defer { try? FileManager.default.removeItem(atPath: reports) }
        try Data("steps:\n  - conect: {}\n".utf8).write(to: URL(fileURLWithPath: reports + "/a.yaml"))
        try Data("device: { id: \"bad id\" }\n".utf8).write(to: URL(fileURLWithPath: reports + "/b.yaml"))
        let events = Events()
        let options = SuiteRunner.Options(files: [reports + "/a.yaml", reports + "/b.yaml"], junitPath: reports + "/junit.xml", reportsFolder: reports)
        await #expect {
            try await SuiteRunner().run(options) { events.append($0) }
        } throws: { error in
            let text = (error as? SuiteError)?.description ?? ""
            return text.contains("a.yaml:2:5: error:") && text.contains("b.yaml:1:")
        }
        #expect(events.all.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: reports + "/junit.xml"))
    }

    @Test("a run writes its histograms beside the JUnit and reports/index.html, and removes only the scenario folders an earlier run left")
    func overviewAndStaleFolders() async throws {
        let reports = try folder()
        defer { try? FileManager.default.removeItem(atPath: reports) }
        let manager = FileManager.default
        // An earlier run's folder, a user's folder that looks like one but holds a note, a user's file.
        let page = HTMLReportWriter().render(HTMLReport(title: "old", subtitle: "", passed: true, steps: [], diagram: SequenceDiagram(lanes: [], events: []), histograms: []))
        for folder in ["old-scenario", "mine", "lookalike"] {
            try ReportFileWriter.write(page, to: reports + "/\(folder)/report.html")
            for file in ["trace.jsonl", "trace.pcap"] { try ReportFileWriter.write("old", to: reports + "/\(folder)/" + file) }
        }
        try ReportFileWriter.write("keep me", to: reports + "/mine/notes.txt")
        try ReportFileWriter.write("<!DOCTYPE html><p>my own page</p>", to: reports + "/lookalike/report.html")
        try ReportFileWriter.write("keep me", to: reports + "/notes.txt")
        let file = ScenarioLoaderTests.repositoryRoot.appendingPathComponent("scenarios/c2d-led.yaml").path
        var options = SuiteRunner.Options(files: [file], junitPath: reports + "/junit.xml", reportsFolder: reports, deadlineScale: 10)
        options.localHubStatePath = nil
        let events = Events()
        let outcome = try await SuiteRunner().run(options) { events.append($0) }
        #expect(outcome.failedRuns == 0)
        #expect(!manager.fileExists(atPath: reports + "/old-scenario"))
        #expect(manager.fileExists(atPath: reports + "/mine/notes.txt") && manager.fileExists(atPath: reports + "/mine/report.html"))
        #expect(manager.fileExists(atPath: reports + "/lookalike/report.html"))
        #expect(manager.fileExists(atPath: reports + "/notes.txt"))
        #expect(manager.fileExists(atPath: reports + "/c2d-led/report.html"))
        // The histograms: one suite per JUnit suite, the expectation's latency as a sample.
        let histograms = try LatencyHistogramFile.load(path: reports + "/junit.histograms.json")
        #expect(histograms.suites.map(\.name) == ["c2d-led"])
        let latency = try #require(histograms.suites.first?.metrics["step-05.latency"])
        #expect(latency.count == 1)
        let junit = try JUnitXMLReader.read(path: reports + "/junit.xml")
        #expect(junit.suites.first?.properties.contains(JUnitProperty("report", "c2d-led/report.html")) == true)
        let index = try String(contentsOfFile: reports + "/index.html", encoding: .utf8)
        #expect(index.contains("<a href=\"./c2d-led/report.html\">c2d-led</a>"))
        #expect(index.contains("step 05: "))
        #expect(!index.contains("old-scenario"))
        // The merge of this one run reads it back: the harness's own files are valid input.
        let merged = try ReportMerger().merge(junitPaths: [reports + "/junit.xml"])
        #expect(merged.report.suites.count == 1)
    }
}
