import ArgumentParser
import Foundation
import Scenario

/// `harness validate`: loads scenario files and reports every problem, without running them.
struct Validate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check scenario files without running them.",
        discussion: "Prints every problem as file:line:column: error: message. Exit status 0 when all are valid, 2 otherwise."
    )

    @Argument(help: "Scenario files or folders (searched for .yaml and .yml).")
    var paths: [String]

    func run() async throws {
        let files = try ScenarioFiles.resolve(paths)
        var diagnostics: [String] = []
        for file in files {
            do {
                let scenario = try ScenarioLoader.load(path: file)
                print("ok  \(file)  (\(scenario.name), \(scenario.steps.count) steps)")
            } catch {
                diagnostics.append(error.description)
            }
        }
        if !diagnostics.isEmpty { throw InvalidInput(description: diagnostics.joined(separator: "\n")) }
    }
}
