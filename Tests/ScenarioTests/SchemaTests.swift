import Foundation
import Scenario
import Testing

/// The JSON Schema editors use agrees with the loader: shipped scenarios and the full
/// vocabulary pass it, mistakes are found with positions.
@Suite struct SchemaTests {
    let schema: SchemaValidator

    init() throws {
        schema = try SchemaValidator.bundled()
    }

    func validate(_ path: String) throws -> [ScenarioDiagnostic] {
        schema.validate(yaml: try String(contentsOfFile: path, encoding: .utf8), path: path)
    }

    @Test("every shipped scenario and the vocabulary fixture pass the schema")
    func shipped() throws {
        let folder = ScenarioLoaderTests.repositoryRoot.appendingPathComponent("scenarios")
        // Not the brokers' configurations and verdicts beside the conformance pack.
        let files = (FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".yaml") && !$0.split(separator: "/").contains("brokers") }
        #expect(files.count >= 7)
        for file in files.map({ folder.appendingPathComponent($0).path }) + [ScenarioLoaderTests.fixture("vocabulary")] {
            let found = try validate(file)
            #expect(found.isEmpty, "\(file): \(found.map(\.description))")
        }
    }

    @Test("the schema finds mistakes at their positions")
    func mistakes() throws {
        let found = try validate(ScenarioLoaderTests.fixture("many-mistakes"))
        func has(_ line: Int, _ column: Int, _ fragment: String) {
            #expect(found.contains { $0.location.line == line && $0.location.column == column && $0.message.contains(fragment) }, "\(found.map(\.description))")
        }
        has(4, 3, "unknown key 'profil'")
        has(8, 42, "A number and a unit")
        has(11, 20, "led")
        let missing = try validate(ScenarioLoaderTests.fixture("missing-device"))
        #expect(missing.contains { $0.message.contains("device") })
    }

    @Test("the schema file is draft-07 JSON, and the repository's copy is the bundled one")
    func file() throws {
        let path = ScenarioLoaderTests.repositoryRoot.appendingPathComponent("Sources/Scenario/Resources/scenario.schema.json").path
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        #expect(object?["$schema"] as? String == "http://json-schema.org/draft-07/schema#")
        let bundled = try #require(SchemaValidator.bundledPath)
        #expect(FileManager.default.contentsEqual(atPath: bundled, andPath: path))
    }
}
