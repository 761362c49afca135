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
            Besides the JUnit file, the latency histograms go beside it \
            (junit.histograms.json, for harness report merge), each scenario gets \
            reports/<scenario>/trace.jsonl, trace.pcap and report.html, and reports/index.html \
            gives the overview of the run. Scenario folders an earlier run left in the reports \
            folder are removed (only folders holding nothing but a run's files). Scenarios run \
            in parallel (--jobs), each on its own simulated hub, with each one's lines printed \
            together when it ends; runs against a real broker or hub go one at a time. A \
            conformance pack that needs a broker (a folder holding PACK.md) met inside a folder \
            is skipped with a note: run it with harness conform. On a terminal, standard error \
            shows a progress line.
            """
    )

    @Argument(help: "Scenario files or folders (searched for .yaml and .yml).")
    var paths: [String]

    @OptionGroup var scenarioOptions: ScenarioOptions

    @Option(help: "Where to write the JUnit XML report.")
    var junit: String = "reports/junit.xml"

    @Option(help: "Folder for per-scenario traces and HTML reports.")
    var reports: String = "reports"

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Run only shard i of n (1-based), for CI matrices. Without it, a Kubernetes Indexed Job's JOB_COMPLETION_INDEX (0-based) and JOB_COMPLETIONS name the shard.",
            valueName: "i/n"
        ),
        transform: Shard.parse
    )
    var shard: Shard?

    @Option(
        name: .customLong("start-at"),
        help: ArgumentHelp("Begin the runs at this time (RFC 3339, e.g. 2026-12-05T10:00:00Z), after loading every file, so shards on several machines start together.", valueName: "time"),
        transform: StartTime.parse
    )
    var startAt: Date?

    @Option(name: .customLong("deadline-scale"), help: ArgumentHelp("Multiply every 'within' deadline by this factor, for slow or loaded machines ('for' windows keep their length).", valueName: "factor"))
    var deadlineScale: Double = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Seed everything random in the runs (delay jitter, chaos strikes) to replay a run; default: a new seed, printed in each report.", valueName: "number"))
    var seed: UInt64?

    // Unconditional: `--jobs -1` is a value to refuse with a reason, not a missing one.
    @Option(parsing: .unconditional, help: ArgumentHelp("How many scenarios run at the same time (runs against a real broker or hub still go one at a time); 1: one after the other, lines as they happen. Default: the number of cores.", valueName: "n"))
    var jobs: Int?

    @Flag(help: "Print only failures and the closing line.")
    var quiet = false

    @Flag(help: "Print every packet and event as it happens.")
    var verbose = false

    @Flag(name: .customLong("no-color"), help: "Never colour the output.")
    var noColor = false

    func validate() throws {
        if quiet, verbose { throw ValidationError("give --quiet or --verbose, not both") }
        guard deadlineScale >= 1, deadlineScale <= 1000 else { throw ValidationError("--deadline-scale must be from 1 to 1000") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be 1 or more (how many scenarios run at the same time), not \(jobs)") }
    }

    func run() async throws {
        let outcome = try await execute()
        if outcome.hasFailures { throw ExitStatus.failure }
    }

    /// `--shard`, or the shard a Kubernetes Indexed Job's environment names.
    func effectiveShard() throws(InvalidInput) -> Shard? {
        if let shard { return shard }
        return try Shard.fromEnvironment(ProcessInfo.processInfo.environment)
    }

    /// The files the paths name, without the conformance packs met inside folders.
    func selectFiles() throws -> ScenarioFiles.Selection {
        do {
            return try ScenarioFiles.select(paths)
        } catch {
            throw InvalidInput(description: error.description)
        }
    }

    /// The suite these flags ask for.
    func makeSuite(_ selection: ScenarioFiles.Selection? = nil) throws -> SuiteRunner.Options {
        var files = try (selection ?? selectFiles()).files
        var load = scenarioOptions.makeLoadOptions()
        if let shard = try effectiveShard() {
            // A scenario with fleets runs on every shard, each with its own part of the
            // members; the other scenarios are shared out by file.
            let fleets = Set(files.filter(ScenarioLoader.declaresFleets(path:)))
            let chosen = Set(shard.select(from: files.filter { !fleets.contains($0) }))
            files = files.filter { fleets.contains($0) || chosen.contains($0) }
            load.shard = LoadOptions.Shard(index: shard.index, count: shard.count)
        }
        var options = SuiteRunner.Options(files: files, load: load, junitPath: junit, reportsFolder: reports, deadlineScale: deadlineScale)
        options.seed = seed
        options.jobs = jobs ?? ProcessInfo.processInfo.activeProcessorCount
        options.startAt = startAt
        return options
    }

    /// Runs the suite, printing its progress and the closing line.
    func execute() async throws -> SuiteRunner.Outcome {
        let selection = try selectFiles()
        let options = try makeSuite(selection)
        let console = ConsoleReporter(useColor: noColor ? false : nil, isQuiet: quiet)
        for pack in selection.skippedPacks { console.note(pack.note) }
        if let shard = try effectiveShard(), options.files.isEmpty {
            console.note("shard \(shard.index)/\(shard.count) holds no scenario")
        }
        let statusLine = StatusLine()
        console.statusLine = statusLine
        let outcome = try await Self.runSuite(options, console: console, verbose: verbose, statusLine: quiet && !statusLine.isTerminal ? nil : statusLine)
        statusLine.finish()
        let runs = outcome.results.count
        let runText = "\(runs) run\(runs == 1 ? "" : "s") of \(outcome.scenarioCount) scenario\(outcome.scenarioCount == 1 ? "" : "s")"
            + (outcome.failedRuns > 0 ? ", \(outcome.failedRuns) failed" : "")
        console.summary(
            passed: outcome.passedSteps,
            failed: outcome.failedSteps,
            skipped: outcome.skippedSteps,
            detail: "(\(runText), \(ConsoleReporter.formatTime(Self.seconds(outcome.elapsed)))); JUnit: \(junit); overview: \(options.overviewPath)"
        )
        return outcome
    }

    /// Runs `options` with its progress on `console`, and the count of runs done on
    /// `statusLine` when given (for suites of more than one run); a suite that cannot run is
    /// invalid input.
    static func runSuite(_ options: SuiteRunner.Options, console: ConsoleReporter, verbose: Bool, statusLine: StatusLine? = nil) async throws -> SuiteRunner.Outcome {
        do {
            return try await SuiteRunner().run(options, recordsEverything: verbose) { event in
                switch event {
                case .note(let text):
                    console.note(text)
                case .secretsChanged(let redactor):
                    console.redactor = redactor
                case .runStarted(let title, let path, _):
                    console.scenarioStarted(name: title, path: path)
                case .stepFinished(let step, let target):
                    let name = ScenarioResult.caseName(step.step, showingDevice: target.devices.count + target.fleets.count > 1)
                    console.step(outcome(step.status), name: name, seconds: seconds(step.duration), detail: detail(step))
                case .recorded(let entry, let startTime):
                    if let line = ScenarioResult.liveLine(entry, since: startTime) { console.note("      " + line) }
                case .setupFailed(let error):
                    console.step(.errored, name: "setup", seconds: 0, detail: error)
                case .suiteStarted(let runs):
                    if let statusLine, statusLine.isTerminal, runs > 1 { statusLine.update(progressText(done: 0, total: runs, failedRuns: 0)) }
                case .runFinished(let title, let isPassed, let done, let total, let failedRuns):
                    guard let statusLine, total > 1 else { break }
                    let text = progressText(done: done, total: total, failedRuns: failedRuns)
                    // A log gets a line per run; a terminal one line that changes.
                    statusLine.update(statusLine.isTerminal ? text : "[\(text)] \(title) \(isPassed ? "passed" : "failed")")
                }
            }
        } catch {
            throw InvalidInput(description: error.description)
        }
    }

    /// `3/12 runs done, 1 failed`.
    static func progressText(done: Int, total: Int, failedRuns: Int) -> String {
        "\(done)/\(total) runs done" + (failedRuns > 0 ? ", \(failedRuns) failed" : "")
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
            if let chaos = step.chaos { return ScenarioResult.describe(chaos) }
            if let fleet = step.fleet { return ScenarioResult.describe(fleet) }
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
