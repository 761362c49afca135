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
            case .suiteStarted(let runs): name = "suite \(runs)"
            case .runFinished(let title, _, let done, let total, _): name = "end \(title) \(done)/\(total)"
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
        #expect(shown == ["suite 1", "start c2d-led"] + (1...7).map { "step \($0)" } + ["end c2d-led 1/1"], "\(shown)")
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

    /// Writes `count` scenarios named `wait-1` ... that each connect, subscribe, wait `seconds`
    /// and switch the LED on; `wait-2` waits longer, so the runs end out of the files' order.
    func waitingScenarios(count: Int, seconds: Double, in folder: String) throws -> [String] {
        try (1...count).map { index in
            let path = folder + "/wait-\(index).yaml"
            let wait = index == 2 ? seconds * 1.5 : seconds
            let text = """
                name: wait-\(index)
                hub: simulated
                device: { id: dev\(index), kind: simulated, profile: umqtt-simple }
                steps:
                  - connect: { clean_session: true, keepalive: 60 }
                  - expect: { connack: accepted, within: 5s }
                  - subscribe: devices/dev\(index)/messages/devicebound/#
                  - wait: \(Int(wait * 1000))ms
                  - send: "on"
                  - expect: { led: on, within: 5s }

                """
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
    }

    @Test("--jobs 4: four scenarios that each wait a second end together; JUnit keeps the files' order; each run's events come together, in order")
    func parallel() async throws {
        let reports = try folder()
        defer { try? FileManager.default.removeItem(atPath: reports) }
        let files = try waitingScenarios(count: 4, seconds: 1, in: reports)
        var options = SuiteRunner.Options(files: files, junitPath: reports + "/junit.xml", reportsFolder: reports, deadlineScale: 2)
        options.localHubStatePath = nil
        options.jobs = 4
        let events = Events()
        let outcome = try await SuiteRunner().run(options) { events.append($0) }
        // The runs overlapped: each began before any other ended (a timing bound would flake
        // on a loaded machine; the overlap of the runs' own times does not).
        let spans = outcome.results.map { ($0.result.startTime, $0.result.endTime) }
        let firstEnd = spans.map(\.1).min() ?? 0
        #expect(spans.allSatisfy { $0.0 < firstEnd }, "the runs did not overlap: \(spans)")
        #expect(outcome.failedRuns == 0 && outcome.passedSteps == 24, "\(outcome.results.map { $0.result.steps.map { "\($0.step.number) \($0.status)" } })")
        #expect(outcome.results.map(\.scenario.name) == ["wait-1", "wait-2", "wait-3", "wait-4"])
        // Each run's events are contiguous: start, its six steps, end.
        let shown = events.all.filter { $0 != "secrets" }
        #expect(shown.first == "suite 4")
        var rest = shown.dropFirst()
        var order: [String] = []
        while let start = rest.first {
            let name = String(start.dropFirst("start ".count))
            #expect(start.hasPrefix("start wait-"), "\(shown)")
            let block = Array(rest.prefix(8))
            #expect(block.dropFirst().dropLast() == ArraySlice((1...6).map { "step \($0)" }), "\(shown)")
            #expect(block.last?.hasPrefix("end \(name) ") == true, "\(shown)")
            order.append(name)
            rest = rest.dropFirst(8)
        }
        #expect(order.sorted() == ["wait-1", "wait-2", "wait-3", "wait-4"])
        #expect(order.last == "wait-2", "the longest run ends last: \(order)")
        let junit = try String(contentsOfFile: reports + "/junit.xml", encoding: .utf8)
        let positions = (1...4).compactMap { junit.range(of: "name=\"wait-\($0)\"")?.lowerBound }
        #expect(positions.count == 4 && positions == positions.sorted(), "JUnit suites out of the files' order")
        for index in 1...4 { #expect(FileManager.default.fileExists(atPath: reports + "/wait-\(index)/report.html")) }
    }

    @Test("--jobs 1 runs one scenario after the other, events as they happen")
    func sequential() async throws {
        let reports = try folder()
        defer { try? FileManager.default.removeItem(atPath: reports) }
        let files = try waitingScenarios(count: 2, seconds: 0.2, in: reports)
        var options = SuiteRunner.Options(files: files, junitPath: reports + "/junit.xml", reportsFolder: reports, deadlineScale: 2)
        options.localHubStatePath = nil
        let events = Events()
        _ = try await SuiteRunner().run(options) { events.append($0) }
        let shown = events.all.filter { $0 != "secrets" }
        let expected = ["suite 2"] + ["wait-1", "wait-2"].enumerated().flatMap { index, name in ["start \(name)"] + (1...6).map { "step \($0)" } + ["end \(name) \(index + 1)/2"] }
        #expect(shown == expected, "\(shown)")
    }

    @Test("--jobs 4: runs against a real broker go one at a time, runs on their own simulated hub beside them")
    func sharedHubOneAtATime() async throws {
        let reports = try folder()
        defer { try? FileManager.default.removeItem(atPath: reports) }
        var files: [String] = []
        for index in 1...2 {
            // Nothing listens on port 1, but a wait needs no connection.
            let shared = "name: shared-\(index)\nhub: \"mqtt://127.0.0.1:1\"\ndevice: { id: shared-\(index), kind: client }\nsteps:\n  - wait: 800ms\n"
            let own = "name: own-\(index)\nhub: simulated\ndevice: { id: own\(index), kind: simulated }\nsteps:\n  - wait: 800ms\n"
            try Data(shared.utf8).write(to: URL(fileURLWithPath: reports + "/shared-\(index).yaml"))
            try Data(own.utf8).write(to: URL(fileURLWithPath: reports + "/own-\(index).yaml"))
            files += [reports + "/shared-\(index).yaml", reports + "/own-\(index).yaml"]
        }
        var options = SuiteRunner.Options(files: files, junitPath: reports + "/junit.xml", reportsFolder: reports)
        options.localHubStatePath = nil
        options.jobs = 4
        let outcome = try await SuiteRunner().run(options)
        #expect(outcome.failedRuns == 0 && outcome.passedSteps == 4)
        #expect(outcome.results.map(\.scenario.name) == ["shared-1", "own-1", "shared-2", "own-2"])
        // The two broker runs one after the other; the simulated ones alongside the first.
        let span = Dictionary(uniqueKeysWithValues: outcome.results.map { ($0.scenario.name, ($0.result.startTime, $0.result.endTime)) })
        let shared1 = try #require(span["shared-1"]), shared2 = try #require(span["shared-2"])
        #expect(shared2.0 >= shared1.1 || shared1.0 >= shared2.1, "the broker runs overlapped: \(span)")
        let own1 = try #require(span["own-1"]), own2 = try #require(span["own-2"])
        #expect(own1.0 < shared1.1 && own2.0 < shared1.1, "the simulated runs waited for the broker run: \(span)")
    }
}
