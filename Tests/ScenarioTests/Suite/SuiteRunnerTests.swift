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
}
