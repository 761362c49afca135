import ArgumentParser
import Foundation
import MQTTCore
import NIOPosix
import Reporting
import Scenario

/// `harness run`: runs scenarios and writes JUnit XML and per-scenario traces.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run scenarios and write a JUnit XML report.",
        discussion: """
            Every file is checked before anything runs; any problem is reported with \
            file:line:column and the command exits 2. Exit status 1 when a step failed. \
            Besides the JUnit file, each scenario gets reports/<scenario>/trace.jsonl, \
            trace.pcap and report.html.
            """
    )

    @Argument(help: "Scenario files or folders (searched for .yaml and .yml).")
    var paths: [String]

    @OptionGroup var scenarioOptions: ScenarioOptions

    @Option(help: "Where to write the JUnit XML report.")
    var junit: String = "reports/junit.xml"

    @Option(help: "Folder for per-scenario traces and HTML reports.")
    var reports: String = "reports"

    @Option(help: ArgumentHelp("Run only shard i of n (1-based), for CI matrices.", valueName: "i/n"), transform: Shard.parse)
    var shard: Shard?

    @Option(name: .customLong("deadline-scale"), help: ArgumentHelp("Multiply every 'within' deadline by this factor, for slow or loaded machines ('for' windows keep their length).", valueName: "factor"))
    var deadlineScale: Double = 1

    @Flag(help: "Print only failures and the closing line.")
    var quiet = false

    @Flag(help: "Print every packet and event as it happens.")
    var verbose = false

    @Flag(name: .customLong("no-color"), help: "Never colour the output.")
    var noColor = false

    func validate() throws {
        if quiet, verbose { throw ValidationError("give --quiet or --verbose, not both") }
        guard deadlineScale >= 1, deadlineScale <= 1000 else { throw ValidationError("--deadline-scale must be from 1 to 1000") }
    }

    func run() async throws {
        let results = try await execute()
        if results.contains(where: { $0.result.failedCount > 0 }) { throw ExitStatus.failure }
    }

    /// Loads every scenario (exit 2 on any problem), runs each on each of its targets,
    /// prints the progress and writes the JUnit report and the per-scenario artifacts.
    /// - Parameter adjustSuite: changes each run's JUnit suite before it is written
    ///   (`harness conform` names the statement ids in its test cases).
    /// - Parameter closingLine: prints the step counts at the end (`harness conform` prints
    ///   its own line about statements instead).
    /// - Returns: every run's result with its scenario, in order.
    func execute(
        adjustSuite: (ScenarioResult, inout JUnitTestSuite) -> Void = { _, _ in },
        closingLine: Bool = true
    ) async throws -> [(scenario: Scenario, result: ScenarioResult)] {
        var files = try ScenarioFiles.resolve(paths)
        if let shard { files = shard.select(from: files) }
        let options = scenarioOptions.makeLoadOptions()
        var scenarios: [Scenario] = []
        var diagnostics: [String] = []
        for file in files {
            do {
                scenarios.append(try ScenarioLoader.load(path: file, options: options))
            } catch {
                diagnostics.append(error.description)
            }
        }
        if !diagnostics.isEmpty { throw InvalidInput(description: diagnostics.joined(separator: "\n")) }
        let notes = LocalHubDiscovery.apply(to: &scenarios)

        var redactor = SecretRedactor()
        for scenario in scenarios { for secret in scenario.secretValues { redactor.register(secret) } }
        let console = ConsoleReporter(useColor: noColor ? false : nil, isQuiet: quiet, redactor: redactor)
        for note in notes { console.note(note) }
        let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, deadlineScale: deadlineScale))
        var report = JUnitReport()
        var totals = (passed: 0, failed: 0, skipped: 0, failedRuns: 0, runs: 0)
        var results: [(scenario: Scenario, result: ScenarioResult)] = []
        var artifacts = ReportArtifacts(folder: reports)
        let started = ContinuousClock.now
        if let shard, scenarios.isEmpty {
            console.note("shard \(shard.index)/\(shard.count) holds no scenario")
        }
        for scenario in scenarios {
            for target in scenario.targets {
                let result = await runOne(scenario, target: target, runner: runner, console: console)
                for secret in result.secrets { redactor.register(secret) }
                console.redactor = redactor
                var suite = result.makeTestSuite()
                adjustSuite(result, &suite)
                report.suites.append(suite)
                results.append((scenario, result))
                do {
                    try artifacts.write(result, redactor: redactor)
                } catch {
                    console.note("warning: \(error)")
                }
                totals.passed += result.passedCount
                totals.failed += result.failedCount
                totals.skipped += result.skippedCount
                totals.runs += 1
                if !result.isPassed { totals.failedRuns += 1 }
            }
        }
        let xml = JUnitXMLWriter(redactor: redactor).render(report)
        do {
            try ReportFileWriter.write(xml, to: junit)
        } catch {
            throw InvalidInput(description: "error: \(error)")
        }
        let runText = "\(totals.runs) run\(totals.runs == 1 ? "" : "s") of \(scenarios.count) scenario\(scenarios.count == 1 ? "" : "s")"
            + (totals.failedRuns > 0 ? ", \(totals.failedRuns) failed" : "")
        guard closingLine else { return results }
        console.summary(
            passed: totals.passed,
            failed: totals.failed,
            skipped: totals.skipped,
            detail: "(\(runText), \(ConsoleReporter.formatTime(Self.seconds(ContinuousClock.now - started)))); JUnit: \(junit); reports: \(reports)/"
        )
        return results
    }

    private func runOne(_ scenario: Scenario, target: ScenarioTarget, runner: ScenarioRunner, console: ConsoleReporter) async -> ScenarioResult {
        let title = scenario.targets.count > 1 ? "\(scenario.name) [\(target.name)]" : scenario.name
        console.scenarioStarted(name: title, path: scenario.path)
        let startTime = runner.environment.clock.nanoseconds()
        var observed: (@Sendable (RunRecord.Entry) -> Void)?
        if verbose {
            observed = { entry in
                if let line = ScenarioResult.liveLine(entry, since: startTime) { console.note("      " + line) }
            }
        }
        let showingDevice = target.devices.count > 1
        let observers = ScenarioRunner.Observers(
            stepFinished: { step in
                let name = ScenarioResult.caseName(step.step, showingDevice: showingDevice)
                console.step(Self.outcome(step.status), name: name, seconds: Self.seconds(step.duration), detail: Self.detail(step))
            },
            observed: observed
        )
        let result = await runner.run(scenario, target: target, observers: observers)
        if let setupError = result.setupError { console.step(.errored, name: "setup", seconds: 0, detail: setupError) }
        return result
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func outcome(_ status: StepStatus) -> ConsoleReporter.Outcome {
        switch status {
        case .passed: .passed
        case .failed: .failed
        case .errored: .errored
        case .skipped: .skipped
        case .notApplicable: .notApplicable
        }
    }

    static func detail(_ step: StepResult) -> String? {
        switch step.status {
        case .passed:
            if let repetition = step.repetition { return ScenarioResult.describe(repetition) }
            return step.latency.map { "observed after \(String(format: "%.3f", seconds($0) * 1000)) ms" }
        case .failed(let failure):
            return "\(failure)\nat \(step.step.location)"
        case .errored(let message):
            return "\(message)\nat \(step.step.location)"
        case .skipped(let reason):
            return reason
        case .notApplicable(let reason):
            return "not applicable: \(reason)\nat \(step.step.location)"
        }
    }
}
