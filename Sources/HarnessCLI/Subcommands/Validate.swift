import ArgumentParser
import Foundation
import Reporting
import Scenario

/// `harness validate`: checks scenario files against the JSON Schema and the loader's rules,
/// reporting every problem, without running anything.
struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check scenario files without running them.",
        discussion: """
            Checks each file against the scenario JSON Schema (the one `harness schema` prints \
            and editors use) and against every rule of the loader: keys, types, durations, \
            devices, step order. Prints every problem as file:line:column: error: message. Exit \
            status 0 when all are valid, 2 otherwise.
            """
    )

    @Argument(help: "Scenario files or folders (searched for .yaml and .yml).")
    var paths: [String]

    @OptionGroup var scenarioOptions: ScenarioOptions

    func run() async throws {
        let files = try ScenarioFiles.resolve(paths)
        let schema = SchemaValidator.scenario
        let options = scenarioOptions.makeLoadOptions()
        var problems: [String] = []
        for file in files {
            let diagnostics = Self.check(file, schema: schema, options: options)
            if diagnostics.isEmpty {
                if let scenario = try? ScenarioLoader.load(path: file, options: options) {
                    // The scenario's name comes from the file: shown escaped, on one line.
                    print(ControlCharacterEscaping.escape("ok  \(file)  (\(scenario.name), \(scenario.steps.count) steps, \(scenario.targets.count) target\(scenario.targets.count == 1 ? "" : "s"))"))
                }
            } else {
                problems += diagnostics.map(\.description)
            }
        }
        if !problems.isEmpty { throw InvalidInput(description: problems.joined(separator: "\n")) }
    }

    /// Loader diagnostics plus schema diagnostics on lines the loader said nothing about.
    static func check(_ file: String, schema: SchemaValidator, options: LoadOptions) -> [ScenarioDiagnostic] {
        var diagnostics: [ScenarioDiagnostic] = []
        do {
            _ = try ScenarioLoader.load(path: file, options: options)
        } catch {
            diagnostics = error.diagnostics
        }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return diagnostics }
        let lines = Set(diagnostics.map(\.location.line))
        for diagnostic in schema.validate(yaml: text, path: file) where !lines.contains(diagnostic.location.line) {
            diagnostics.append(diagnostic)
        }
        return diagnostics.sorted { $0.location < $1.location }
    }
}
