import ArgumentParser
import Foundation
import MQTTCore
import Reporting
import Scenario

/// `harness conform`: runs a conformance pack against a broker and prints, per normative
/// statement, which scenarios checked it and whether they passed.
struct Conform: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the MQTT 3.1.1 or 5.0 conformance pack (or both) against a broker and give a verdict per normative statement.",
        discussion: """
            Runs every scenario of the pack (the .yaml files of the folder) with the broker as \
            its hub: scenarios/conformance/mqtt-3.1.1 for --protocol 3.1.1 (the default), \
            scenarios/conformance/mqtt-5.0 for --protocol 5, both for --protocol all (one table \
            per standard, one JUnit file). Then it prints one line per statement id the steps name (their \
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

    @Argument(help: ArgumentHelp("The broker: mqtt://host:port or mqtts://host:port.", valueName: "broker-url"))
    var broker: String

    @Option(name: .customLong("protocol"), help: ArgumentHelp("The standard to judge the broker by: 3.1.1 (the default), 5 or all (both packs, a table each). With --pack alone, the standard the pack's devices speak.", valueName: "version"))
    var protocolVersion: String?

    @Option(help: ArgumentHelp("The folder of conformance scenarios (default: the shipped pack of --protocol).", valueName: "dir"))
    var pack: String?

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
        var choice = ConformProtocol.mqtt311
        if let protocolVersion {
            guard let parsed = ConformProtocol(argument: protocolVersion) else {
                throw ValidationError("--protocol takes \(ConformProtocol.spellings), not '\(protocolVersion)'")
            }
            choice = parsed
        }
        if choice == .all, pack != nil {
            throw ValidationError("--pack names one pack; --protocol all runs the two shipped packs (give --protocol 3.1.1 or 5 with --pack)")
        }
        if choice == .all, expect != nil {
            throw ValidationError("--expect compares one pack's verdicts; run --protocol 3.1.1 and --protocol 5 each with its broker's file")
        }
    }

    func run() async throws {
        var packs = (protocolVersion.flatMap(ConformProtocol.init(argument:)) ?? .mqtt311).packs(folder: pack)
        var filesByPack: [[String]] = []
        for index in packs.indices {
            let selected = packs[index]
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: selected.folder, isDirectory: &isFolder), isFolder.boolValue else {
                let hint = pack == nil ? " (run from the repository root, or give --pack)" : ""
                throw InvalidInput(description: "error: no conformance pack at '\(selected.folder)'\(hint)")
            }
            let files: [String]
            do {
                files = try ScenarioFiles.resolve([selected.folder])
            } catch {
                throw InvalidInput(description: error.description)
            }
            guard !files.isEmpty else { throw InvalidInput(description: "error: the conformance pack '\(selected.folder)' holds no .yaml scenario") }
            if let folder = pack {
                let spoken = Self.standard(of: files)
                if protocolVersion == nil {
                    packs[index].standard = spoken
                } else if spoken.name != selected.standard.name {
                    // Statement ids of the two standards overlap with other meanings: judging a
                    // pack by the other table would give verdicts for the wrong text.
                    let flag = spoken.name == NormativeStatements.mqtt5.name ? "5" : "3.1.1"
                    throw InvalidInput(description: "error: the pack '\(folder)' speaks \(spoken.name), not \(selected.standard.name) as --protocol says; give --protocol \(flag), or leave --protocol out")
                }
            }
            filesByPack.append(files)
        }
        var expected: ExpectedVerdicts?
        if let expect, let standard = packs.first?.standard {
            do {
                expected = try ExpectedVerdicts.load(path: expect, standard: standard)
            } catch {
                // Each line is already `file:line:column: error: ...`. A file of the other
                // standard's statements most likely means a missing or wrong --protocol.
                let other: NormativeStatements = standard.name == NormativeStatements.mqtt5.name ? .mqtt311 : .mqtt5
                let hint = (try? ExpectedVerdicts.load(path: expect, standard: other)) == nil
                    ? ""
                    : "\nerror: \(expect) holds \(other.name) statements; give --protocol \(other.name == NormativeStatements.mqtt5.name ? "5" : "3.1.1")"
                throw InvalidInput(description: error.description + hint)
            }
        }
        let fromFile = (expected?.device ?? [:]).sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
        let load = LoadOptions(
            variables: Variables(overrides: [:], environment: ProcessInfo.processInfo.environment, secretNames: []),
            hubOverride: broker,
            deviceOverrides: fromFile + deviceOverrides.compactMap(ScenarioOptions.split).map { (key: $0.0, value: $0.1) }
        )
        var options = SuiteRunner.Options(files: filesByPack.flatMap { $0 }, load: load, junitPath: junit, reportsFolder: reports, deadlineScale: deadlineScale)
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
        var allPassed = true
        var lastVerdicts: StatementVerdicts?
        for (selected, files) in zip(packs, filesByPack) {
            // A statement id means a statement of its pack's standard: each pack is judged alone.
            let members = Set(files)
            let results = outcome.results.filter { members.contains($0.scenario.path) }
            let verdicts = StatementVerdicts(results.map(\.result))
            let table = StatementTable(verdicts: verdicts)
            if packs.count > 1 { print("\(selected.standard.name) (\(selected.folder)):") }
            print(table.render())
            let failedRuns = results.filter { !$0.result.isPassed }.count
            let elapsed = ConsoleReporter.formatTime(Run.seconds(outcome.elapsed))
            print(
                table.summary(standard: selected.standard)
                    + " (\(results.count) scenario\(results.count == 1 ? "" : "s")\(packs.count > 1 ? "; both packs in" : " in") \(elapsed)\(failedRuns > 0 ? ", \(failedRuns) with failed steps" : "")); JUnit: \(junit); overview: \(options.overviewPath)"
            )
            allPassed = allPassed && verdicts.isPassed
            lastVerdicts = verdicts
        }
        if let expected, let expect, let verdicts = lastVerdicts {
            let differences = expected.differences(from: verdicts)
            if differences.isEmpty {
                print("the verdicts match \(expect) (\(expected.broker))")
                return
            }
            print("the verdicts differ from \(expect) (\(expected.broker)):")
            for line in differences { print("  " + line) }
            throw ExitStatus.failure
        }
        if !allPassed { throw ExitStatus.failure }
    }

    /// The standard a pack named without `--protocol` checks: the one its scenarios' devices
    /// speak (MQTT 5.0 when a device of one of them says `protocol: 5`). A file that does not
    /// load counts for nothing here; the run reports it.
    static func standard(of files: [String]) -> NormativeStatements {
        for file in files {
            guard let scenario = try? ScenarioLoader.load(path: file) else { continue }
            let spoken = NormativeStatements.spoken(by: scenario.targets.flatMap(\.devices))
            if spoken.name == NormativeStatements.mqtt5.name { return spoken }
        }
        return .mqtt311
    }
}
