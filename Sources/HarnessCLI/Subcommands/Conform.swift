import ArgumentParser
import Foundation
import Reporting
import Scenario

/// `harness conform`: runs a conformance pack against a broker and prints, per normative
/// statement, which scenarios checked it and whether they passed.
struct Conform: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the MQTT 3.1.1 conformance pack against a broker and give a verdict per normative statement.",
        discussion: """
            Runs every scenario of the pack (the .yaml files of the folder) with the broker as \
            its hub, then prints one line per statement id the steps name (their \
            'statements:'): pass, FAIL (with the failing step, its scenario and place, and \
            why), n/a (the broker took a branch the specification allows that makes the \
            statement not apply) or skip (not reached: an earlier step failed). A statement is \
            decided only by the steps that name it. JUnit test case names start with the \
            step's statement ids. With --expect, the verdicts are compared with a broker's \
            verdicts file and every difference is listed. Exit status 1 when a statement \
            failed (with --expect: when the verdicts differ from the file), 2 when the pack \
            or the file is missing or invalid.
            """
    )

    /// The pack run when `--pack` is not given, relative to the working directory.
    static let defaultPack = "scenarios/conformance/mqtt-3.1.1"

    @Argument(help: ArgumentHelp("The broker: mqtt://host:port or mqtts://host:port.", valueName: "broker-url"))
    var broker: String

    @Option(help: ArgumentHelp("The folder of conformance scenarios.", valueName: "dir"))
    var pack: String = Conform.defaultPack

    @Option(name: .customLong("device"), help: ArgumentHelp("A setting every device of the pack takes (repeatable), for example username=harness for a broker that wants credentials.", valueName: "key=value"))
    var deviceOverrides: [String] = []

    @Option(help: ArgumentHelp("A broker's verdicts file (brokers/<name>/verdicts.yaml in the pack): the run passes when its verdicts are exactly those; its 'device' settings apply too.", valueName: "file"))
    var expect: String?

    @Option(help: "Where to write the JUnit XML report.")
    var junit: String = "reports/conformance.xml"

    @Option(help: "Folder for per-scenario traces and HTML reports.")
    var reports: String = "reports"

    @Option(name: .customLong("deadline-scale"), help: ArgumentHelp("Multiply every 'within' deadline by this factor, for slow or loaded machines.", valueName: "factor"))
    var deadlineScale: Double = 1

    @Flag(help: "Print every step, not only failures.")
    var verbose = false

    @Flag(name: .customLong("no-color"), help: "Never colour the output.")
    var noColor = false

    func validate() throws {
        guard broker.hasPrefix("mqtt://") || broker.hasPrefix("mqtts://") else {
            throw ValidationError("the broker must be an mqtt:// or mqtts:// URL, for example mqtt://127.0.0.1:1883, not '\(HubTarget.redacted(broker))'")
        }
        guard deadlineScale >= 1, deadlineScale <= 1000 else { throw ValidationError("--deadline-scale must be from 1 to 1000") }
        for value in deviceOverrides where ScenarioOptions.split(value) == nil {
            throw ValidationError("--device takes key=value, not '\(value)'")
        }
    }

    func run() async throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: pack, isDirectory: &isFolder), isFolder.boolValue else {
            let hint = pack == Self.defaultPack ? " (run from the repository root, or give --pack)" : ""
            throw InvalidInput(description: "error: no conformance pack at '\(pack)'\(hint)")
        }
        var expected: ExpectedVerdicts?
        if let expect {
            do {
                expected = try ExpectedVerdicts.load(path: expect)
            } catch {
                // Each line is already `file:line:column: error: ...`.
                throw InvalidInput(description: error.description)
            }
        }
        let files: [String]
        do {
            files = try ScenarioFiles.resolve([pack])
        } catch {
            throw InvalidInput(description: error.description)
        }
        guard !files.isEmpty else { throw InvalidInput(description: "error: the conformance pack '\(pack)' holds no .yaml scenario") }
        let fromFile = (expected?.device ?? [:]).sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
        let load = LoadOptions(
            variables: Variables(overrides: [:], environment: ProcessInfo.processInfo.environment, secretNames: []),
            hubOverride: broker,
            deviceOverrides: fromFile + deviceOverrides.compactMap(ScenarioOptions.split).map { (key: $0.0, value: $0.1) }
        )
        var options = SuiteRunner.Options(files: files, load: load, junitPath: junit, reportsFolder: reports, deadlineScale: deadlineScale)
        options.overviewTitle = "harness conform \(HubTarget.redacted(broker))"
        options.adjustSuite = { result, suite in
            // Each test case carries the statement ids of its step.
            let offset = result.setupError == nil ? 0 : 1
            for index in suite.testCases.indices where index >= offset && index - offset < result.steps.count {
                let statements = result.steps[index - offset].step.statements
                guard !statements.isEmpty else { continue }
                suite.testCases[index].name = "[\(statements.joined(separator: " "))] " + suite.testCases[index].name
            }
        }
        let console = ConsoleReporter(useColor: noColor ? false : nil, isQuiet: !verbose)
        let outcome = try await Run.runSuite(options, console: console, verbose: false)
        let results = outcome.results
        let verdicts = StatementVerdicts(results.map(\.result))
        let table = StatementTable(verdicts: verdicts)
        print(table.render())
        let failedRuns = results.filter { !$0.result.isPassed }.count
        let elapsed = ConsoleReporter.formatTime(Run.seconds(outcome.elapsed))
        print(
            table.summary(standard: .mqtt311)
                + " (\(results.count) scenario\(results.count == 1 ? "" : "s") in \(elapsed)\(failedRuns > 0 ? ", \(failedRuns) with failed steps" : "")); JUnit: \(junit); overview: \(options.overviewPath)"
        )
        if let expected, let expect {
            let differences = expected.differences(from: verdicts)
            if differences.isEmpty {
                print("the verdicts match \(expect) (\(expected.broker))")
                return
            }
            print("the verdicts differ from \(expect) (\(expected.broker)):")
            for line in differences { print("  " + line) }
            throw ExitStatus.failure
        }
        if !verdicts.isPassed { throw ExitStatus.failure }
    }
}
