import Foundation
import IoTHubCore
import MQTTCore
import NIOPosix
import Reporting
import Synchronization

/// Why a suite cannot run: files that are missing or do not load, or a report that cannot be
/// written. The description names every problem (`file:line:column: error: ...`).
public struct SuiteError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}

/// Runs a suite of scenario files the way `harness run` and `harness conform` both do: loads
/// every file first (any problem: nothing runs), points bare `azure://` targets at a local
/// `harness hub`, runs each scenario on each of its targets (several at a time with
/// ``Options/jobs``), and writes, in the files' order, the JUnit report, the latency histograms
/// beside it, each run's trace, pcap and HTML report, and the run's overview (`index.html` in
/// the reports folder, which then holds only this run's folders), every text masked for the
/// runs' secrets. What happens along the way goes to a ``Progress`` (the commands print it).
public struct SuiteRunner: Sendable {
    /// What to run and where the reports go.
    public struct Options: Sendable {
        /// Scenario files (already resolved, see ``ScenarioFiles``).
        public var files: [String]
        public var load: LoadOptions
        /// Where the JUnit XML goes.
        public var junitPath: String
        /// The folder of per-run traces and HTML reports.
        public var reportsFolder: String
        /// Multiplies every `within` deadline.
        public var deadlineScale: Double
        /// The seed of every run (`--seed`); `nil`: a new one.
        public var seed: UInt64?
        /// The `harness hub` state file bare `azure://` targets look for; `nil` for none.
        public var localHubStatePath: String?
        /// The heading of `index.html`.
        public var overviewTitle = "harness run"
        /// Where the run's overview goes: `index.html` in the reports folder.
        public var overviewPath: String { (reportsFolder as NSString).appendingPathComponent("index.html") }
        /// Changes each run's JUnit suite before it is written (`harness conform` puts the
        /// statement ids in its test case names).
        public var adjustSuite: (@Sendable (ScenarioResult, inout JUnitTestSuite) -> Void)?
        /// How many runs go on at the same time (`--jobs`). Runs on a simulated hub each have
        /// their own hub and ports and run in parallel; runs against a real broker or hub go
        /// one at a time, since they may share device ids and topics there. With more than one
        /// job, each run's events are held back and reported together when it ends. Default: 1
        /// (one run after the other, events as they happen).
        public var jobs = 1
        /// When the runs begin (`--start-at`): after every file loaded, the suite waits until
        /// then, so shards started on different machines begin their timed phase together.
        /// `nil`: at once.
        public var startAt: Date?

        public init(files: [String], load: LoadOptions = LoadOptions(), junitPath: String, reportsFolder: String, deadlineScale: Double = 1) {
            self.files = files
            self.load = load
            self.junitPath = junitPath
            self.reportsFolder = reportsFolder
            self.deadlineScale = deadlineScale
            self.localHubStatePath = HubStateFile.defaultPath()
        }
    }

    /// What happens while a suite runs, for a console.
    public enum Event: Sendable {
        /// A line worth showing (which local hub a scenario uses, a report that could not be
        /// written).
        case note(String)
        /// The secrets known so far changed: texts shown from now on must pass this redactor.
        case secretsChanged(SecretRedactor)
        /// A run starts: `title` is the scenario's name (with the target's when it has several).
        case runStarted(title: String, path: String, target: ScenarioTarget)
        /// A step of the run ended.
        case stepFinished(StepResult, target: ScenarioTarget)
        /// Something was recorded (`startTime`: the run's start, for offsets).
        case recorded(RunRecord.Entry, startTime: UInt64)
        /// The run could not start.
        case setupFailed(String)
        /// The suite starts `runs` runs (every scenario on each of its targets).
        case suiteStarted(runs: Int)
        /// A run ended (after its own events): `done` of `total` runs ended so far, `failedRuns`
        /// of them with a failed step.
        case runFinished(title: String, isPassed: Bool, done: Int, total: Int, failedRuns: Int)
    }

    /// Receives the suite's events; must not block.
    public typealias Progress = @Sendable (Event) -> Void

    /// The whole suite's outcome.
    public struct Outcome: Sendable {
        public var results: [(scenario: Scenario, result: ScenarioResult)]
        public var passedSteps = 0
        public var failedSteps = 0
        public var skippedSteps = 0
        public var failedRuns = 0
        public var scenarioCount = 0
        public var elapsed: Duration = .zero

        /// Whether some step failed.
        public var hasFailures: Bool { results.contains { $0.result.failedCount > 0 } }
    }

    public init() {}

    /// Runs the suite.
    /// - Parameter recordsEverything: report every recorded entry as ``Event/recorded(_:startTime:)``
    ///   (for `--verbose`).
    /// - Throws: ``SuiteError`` when a file does not load (every problem at once) or the JUnit
    ///   file cannot be written.
    public func run(_ options: Options, recordsEverything: Bool = false, progress: @escaping Progress = { _ in }) async throws(SuiteError) -> Outcome {
        var scenarios: [Scenario] = []
        var diagnostics: [String] = []
        for file in options.files {
            do {
                scenarios.append(try ScenarioLoader.load(path: file, options: options.load))
            } catch {
                diagnostics.append(error.description)
            }
        }
        if !diagnostics.isEmpty { throw SuiteError(description: diagnostics.joined(separator: "\n")) }
        if let startAt = options.startAt, startAt.timeIntervalSinceNow > 0 {
            let wait = startAt.timeIntervalSinceNow
            progress(.note("waiting \(String(format: "%.1f", wait)) s, until \(JUnitXMLWriter.formatTimestamp(startAt)) UTC (--start-at), to begin with the other shards"))
            try? await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
        }
        let notes = options.localHubStatePath.map { LocalHubDiscovery.apply(to: &scenarios, statePath: $0) } ?? []
        var redactor = SecretRedactor()
        for scenario in scenarios { for secret in scenario.secretValues { redactor.register(secret) } }
        progress(.secretsChanged(redactor))
        for note in notes { progress(.note(note)) }
        let runner = ScenarioRunner(
            environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, deadlineScale: options.deadlineScale, seed: options.seed ?? UInt64.random(in: 0...UInt64.max))
        )
        let runs = scenarios.indices.flatMap { index in scenarios[index].targets.map { PlannedRun(scenarioIndex: index, target: $0) } }
        var report = JUnitReport()
        var histograms = LatencyHistogramFile()
        var links: [Int: String] = [:]
        var artifacts = ReportArtifacts(folder: options.reportsFolder)
        var outcome = Outcome(results: [], scenarioCount: scenarios.count)
        var finished: [ScenarioResult?] = Array(repeating: nil, count: runs.count)
        var committed = 0
        let jobs = max(1, options.jobs)
        let started = ContinuousClock.now
        progress(.suiteStarted(runs: runs.count))
        await runAll(runs, of: scenarios, jobs: jobs, runner: runner, recordsEverything: recordsEverything, progress: progress) { run in
            let result = run.result
            for secret in result.secrets { redactor.register(secret) }
            progress(.secretsChanged(redactor))
            for event in run.heldEvents { progress(event) }
            if !result.isPassed { outcome.failedRuns += 1 }
            finished[run.index] = result
            let done = finished.count(where: { $0 != nil })
            let title = Self.title(of: scenarios[runs[run.index].scenarioIndex], target: runs[run.index].target)
            progress(.runFinished(title: title, isPassed: result.isPassed, done: done, total: runs.count, failedRuns: outcome.failedRuns))
            // Reports in the files' order, whatever order the runs end in.
            while committed < runs.count, let result = finished[committed] {
                var suite = result.makeTestSuite()
                options.adjustSuite?(result, &suite)
                outcome.results.append((scenarios[runs[committed].scenarioIndex], result))
                do {
                    let directory = try artifacts.write(result, redactor: redactor)
                    let page = (directory as NSString).appendingPathComponent("report.html")
                    let junitFolder = (options.junitPath as NSString).deletingLastPathComponent
                    suite.properties.append(JUnitProperty("report", RelativePath.from(folder: junitFolder.isEmpty ? "." : junitFolder, to: page)))
                    links[report.suites.count] = RelativePath.from(folder: options.reportsFolder, to: page)
                } catch {
                    progress(.note("warning: \(error)"))
                }
                report.suites.append(suite)
                histograms.suites.append(result.makeLatencyHistograms())
                outcome.passedSteps += result.passedCount
                outcome.failedSteps += result.failedCount
                outcome.skippedSteps += result.skippedCount
                committed += 1
            }
        }
        outcome.elapsed = ContinuousClock.now - started
        for removed in artifacts.removeStaleRunFolders() {
            progress(.note("removed \(removed) (a scenario folder of an earlier run)"))
        }
        let xml = JUnitXMLWriter(redactor: redactor).render(report)
        let overview = RunOverview(
            title: options.overviewTitle,
            subtitle: "\(JUnitXMLWriter.formatTimestamp(Date())) UTC, \(report.suites.count) run\(report.suites.count == 1 ? "" : "s") of \(scenarios.count) scenario\(scenarios.count == 1 ? "" : "s") in \(String(format: "%.1f", Double(outcome.elapsed.components.seconds) + Double(outcome.elapsed.components.attoseconds) / 1e18)) s",
            report: report,
            histograms: histograms.suites,
            links: links
        )
        do {
            try ReportFileWriter.writeAll([
                (options.junitPath, xml),
                (LatencyHistogramFile.path(besideJUnit: options.junitPath), histograms.render()),
                (options.overviewPath, RunOverviewWriter(redactor: redactor).render(overview)),
            ])
        } catch {
            throw SuiteError(description: "error: \(error)")
        }
        return outcome
    }

    /// Runs `runs`, up to `jobs` at a time and one at a time on a shared (not simulated) hub,
    /// calling `finished` with each as it ends. With one job the runs go in order and report
    /// their events as they happen; with more, each run's events are held until it ends.
    private func runAll(
        _ runs: [PlannedRun],
        of scenarios: [Scenario],
        jobs: Int,
        runner: ScenarioRunner,
        recordsEverything: Bool,
        progress: @escaping Progress,
        finished: (FinishedRun) -> Void
    ) async {
        await withTaskGroup(of: FinishedRun.self) { group in
            var pending = Array(runs.indices)
            var running = 0
            var isSharedHubBusy = false
            while true {
                while running < jobs, let position = pending.firstIndex(where: { runs[$0].target.hub.isSimulated || !isSharedHubBusy }) {
                    let index = pending.remove(at: position)
                    let planned = runs[index]
                    if !planned.target.hub.isSimulated { isSharedHubBusy = true }
                    running += 1
                    let scenario = scenarios[planned.scenarioIndex]
                    let isHeld = jobs > 1
                    group.addTask {
                        await runHeld(scenario, target: planned.target, index: index, isHeld: isHeld, runner: runner, recordsEverything: recordsEverything, progress: progress)
                    }
                }
                guard let run = await group.next() else { return }
                running -= 1
                if !runs[run.index].target.hub.isSimulated { isSharedHubBusy = false }
                finished(run)
            }
        }
    }

    /// One run, its events passed on at once or held (`isHeld`) for the caller.
    private func runHeld(_ scenario: Scenario, target: ScenarioTarget, index: Int, isHeld: Bool, runner: ScenarioRunner, recordsEverything: Bool, progress: @escaping Progress) async -> FinishedRun {
        guard isHeld else {
            let result = await runOne(scenario, target: target, runner: runner, recordsEverything: recordsEverything, progress: progress)
            return FinishedRun(index: index, result: result, heldEvents: [])
        }
        let buffer = EventBuffer()
        let result = await runOne(scenario, target: target, runner: runner, recordsEverything: recordsEverything) { buffer.append($0) }
        return FinishedRun(index: index, result: result, heldEvents: buffer.events)
    }

    /// `c2d-led`, or `token-renewal [sdk]` for a scenario with several targets.
    static func title(of scenario: Scenario, target: ScenarioTarget) -> String {
        scenario.targets.count > 1 ? "\(scenario.name) [\(target.name)]" : scenario.name
    }

    private func runOne(_ scenario: Scenario, target: ScenarioTarget, runner: ScenarioRunner, recordsEverything: Bool, progress: @escaping Progress) async -> ScenarioResult {
        let title = Self.title(of: scenario, target: target)
        progress(.runStarted(title: title, path: scenario.path, target: target))
        let startTime = runner.environment.clock.nanoseconds()
        var observed: (@Sendable (RunRecord.Entry) -> Void)?
        if recordsEverything {
            observed = { entry in progress(.recorded(entry, startTime: startTime)) }
        }
        let observers = ScenarioRunner.Observers(stepFinished: { step in progress(.stepFinished(step, target: target)) }, observed: observed)
        let result = await runner.run(scenario, target: target, observers: observers)
        if let setupError = result.setupError { progress(.setupFailed(setupError)) }
        return result
    }
}

/// One scenario on one of its targets.
private struct PlannedRun: Sendable {
    var scenarioIndex: Int
    var target: ScenarioTarget
}

/// A run that ended: its place among the planned runs, its result and the events it held.
private struct FinishedRun: Sendable {
    var index: Int
    var result: ScenarioResult
    var heldEvents: [SuiteRunner.Event]
}

/// The events of one run, held back until it ends (runs in parallel).
private final class EventBuffer: Sendable {
    private let held = Mutex<[SuiteRunner.Event]>([])

    func append(_ event: SuiteRunner.Event) {
        held.withLock { $0.append(event) }
    }

    var events: [SuiteRunner.Event] { held.withLock { $0 } }
}
