import Foundation
import IoTHubCore
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

    @Test("whole numbers in the schema (enums, bounds) are read as numbers")
    func wholeNumbers() {
        let yaml = """
            name: numbers
            device: { id: d, kind: serial, port: /dev/null, baud: 1234 }
            steps:
              - subscribe: { topic: a, qos: 3 }
              - expect: { packet: PUBLISH, published_qos: 5, within: 1s }
            """
        let found = schema.validate(yaml: yaml, path: "numbers.yaml").map(\.description)
        #expect(found.contains { $0.hasPrefix("numbers.yaml:2:") && $0.contains("must be one of 9600, 19200, 38400") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("numbers.yaml:4:") && $0.contains("must be at most 2") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("numbers.yaml:5:") && $0.contains("must be one of 0, 1, 2") }, "\(found)")
        #expect(schema.validate(yaml: yaml.replacingOccurrences(of: "1234", with: "115200").replacingOccurrences(of: ": 3", with: ": 2").replacingOccurrences(of: ": 5", with: ": 1"), path: "n").isEmpty)
    }

    @Test("the schema's send step offers the spellings the C2D message value takes")
    func sendVocabulary() throws {
        let path = ScenarioLoaderTests.repositoryRoot.appendingPathComponent("Sources/Scenario/Resources/scenario.schema.json").path
        let root = try JSONValue(parsing: Data(contentsOf: URL(fileURLWithPath: path)))
        let steps = try #require(root["definitions"]?["step"]?["oneOf"]?.arrayValue)
        let forms = steps.compactMap { step -> [JSONValue]? in step["properties"]?["send"]?["anyOf"]?.arrayValue }.first ?? []
        let send = try #require(forms.last?["properties"])
        let ack = send["ack"]?["anyOf"]?.arrayValue?.first?["enum"]?.arrayValue?.compactMap(\.stringValue)
        #expect(ack == CloudToDeviceMessage.Acknowledgement.spellings)
        let refused = send["refused"]?["anyOf"]?.arrayValue?.compactMap { $0["examples"]?.arrayValue?.compactMap(\.stringValue) }.first
        #expect(Set(refused ?? []) == Set(IoTHubErrorCode.cloudToDeviceRefusals.map(\.rawValue)))
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
