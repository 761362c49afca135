import ArgumentParser
import Foundation
import Scenario

/// `harness schema`: the scenario JSON Schema, made from the scenario vocabulary.
struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the scenario JSON Schema, for editors.",
        discussion: """
            The schema is made from the scenario vocabulary (Sources/Scenario/Vocabulary), the same \
            definition the loader takes its keys from, so it always describes the language this \
            harness reads. The repository keeps a copy at \(ScenarioSchema.repositoryPath) for \
            editors; after changing the vocabulary, write it again with \
            `swift run harness schema --output \(ScenarioSchema.repositoryPath)` (a test fails while \
            the copy is stale).
            """
    )

    @Option(name: .shortAndLong, help: "Write the schema to this file instead of standard output.")
    var output: String?

    func run() throws {
        guard let output else {
            print(ScenarioSchema.text, terminator: "")
            return
        }
        do {
            try ScenarioSchema.text.write(toFile: output, atomically: true, encoding: .utf8)
        } catch {
            throw InvalidInput(description: "error: cannot write \(output): \(error.localizedDescription)")
        }
    }
}
