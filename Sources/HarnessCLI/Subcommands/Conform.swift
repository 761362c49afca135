import ArgumentParser
import Foundation
import Reporting
import Scenario

/// `harness conform`: runs a conformance pack against a broker and prints, per normative
/// statement, which scenarios checked it and whether they passed.
struct Conform: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the MQTT 3.1.1 conformance pack against a broker and tabulate the statements checked.",
        discussion: """
            Runs every scenario of the pack (the .yaml files of the folder) with the broker as \
            its hub, then prints one line per statement id the scenarios name (their \
            'statements:' key): passed when every scenario naming it passed. JUnit test case \
            names start with the scenario's statement ids. Exit status 1 when a statement \
            failed, 2 when the pack is missing or invalid.
            """
    )

    /// The pack run when `--pack` is not given, relative to the working directory.
    static let defaultPack = "scenarios/conformance/mqtt-3.1.1"

    @Argument(help: ArgumentHelp("The broker: mqtt://host:port or mqtts://host:port.", valueName: "broker-url"))
    var broker: String

    @Option(help: ArgumentHelp("The folder of conformance scenarios.", valueName: "dir"))
    var pack: String = Conform.defaultPack

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
    }

    func run() async throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: pack, isDirectory: &isFolder), isFolder.boolValue else {
            let hint = pack == Self.defaultPack ? " (run from the repository root, or give --pack)" : ""
            throw InvalidInput(description: "error: no conformance pack at '\(pack)'\(hint)")
        }
        let files = try ScenarioFiles.resolve([pack])
        guard !files.isEmpty else { throw InvalidInput(description: "error: the conformance pack '\(pack)' holds no .yaml scenario") }
        var arguments = files + ["--hub", broker, "--junit", junit, "--reports", reports, "--deadline-scale", String(deadlineScale)]
        if !verbose { arguments.append("--quiet") }
        if noColor { arguments.append("--no-color") }
        let runner = try Run.parse(arguments)
        let results = try await runner.execute { scenario, suite in
            guard !scenario.statements.isEmpty else { return }
            let prefix = "[\(scenario.statements.joined(separator: " "))] "
            for index in suite.testCases.indices { suite.testCases[index].name = prefix + suite.testCases[index].name }
        }
        let table = StatementTable(results.map { (name: $0.scenario.name, statements: $0.scenario.statements, passed: $0.result.isPassed) })
        print(table.render())
        if !table.isPassed { throw ExitStatus.failure }
    }
}
