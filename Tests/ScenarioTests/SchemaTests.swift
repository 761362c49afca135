import Foundation
import IoTHubCore
@testable import Scenario
import Testing

/// The JSON Schema editors use is made from the vocabulary and agrees with the loader: shipped
/// scenarios and the full vocabulary pass it, mistakes are found with positions.
@Suite struct SchemaTests {
    let schema = SchemaValidator.scenario
    static let committedPath = ScenarioLoaderTests.repositoryRoot.appendingPathComponent(ScenarioSchema.repositoryPath).path

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
        let root = ScenarioSchema.document
        let forms = try #require(root["definitions"]?["step"]?["properties"]?["send"]?["anyOf"]?.arrayValue)
        let send = try #require(forms.last?["properties"])
        let ack = send["ack"]?["anyOf"]?.arrayValue?.first?["enum"]?.arrayValue?.compactMap(\.stringValue)
        #expect(ack == CloudToDeviceMessage.Acknowledgement.spellings)
        let refused = send["refused"]?["anyOf"]?.arrayValue?.compactMap { $0["examples"]?.arrayValue?.compactMap(\.stringValue) }.first
        #expect(Set(refused ?? []) == Set(IoTHubErrorCode.cloudToDeviceRefusals.map(\.rawValue)))
    }

    @Test("the committed schema is what `harness schema` writes from the vocabulary")
    func committedFile() throws {
        let committed = try String(contentsOfFile: Self.committedPath, encoding: .utf8)
        #expect(
            committed == ScenarioSchema.text,
            "\(ScenarioSchema.repositoryPath) is stale: run `swift run harness schema --output \(ScenarioSchema.repositoryPath)`"
        )
        let object = try JSONSerialization.jsonObject(with: Data(committed.utf8)) as? [String: Any]
        #expect(object?["$schema"] as? String == "http://json-schema.org/draft-07/schema#")
        #expect(try JSONValue(parsing: Data(committed.utf8)) == ScenarioSchema.document)
    }

    @Test("the validator reads every keyword the schema uses")
    func keywords() {
        var used: Set<String> = []
        func walk(_ schema: JSONValue) {
            guard let members = schema.objectValue else { return }
            for (keyword, value) in members {
                used.insert(keyword)
                switch keyword {
                case "properties", "patternProperties", "definitions", "dependencies":
                    for member in value.objectValue?.values.map({ $0 }) ?? [] { walk(member) }
                case "anyOf", "oneOf", "allOf":
                    for part in value.arrayValue ?? [] { walk(part) }
                case "items", "additionalProperties", "if", "then", "else", "propertyNames":
                    walk(value)
                default:
                    break
                }
            }
        }
        walk(ScenarioSchema.document)
        #expect(used.subtracting(SchemaValidator.keywords).subtracting(SchemaValidator.annotations).isEmpty)
        #expect(JSONSchema.keywords.subtracting(SchemaValidator.keywords).subtracting(SchemaValidator.annotations).isEmpty)
    }

    @Test("without targets each device is checked for the keys of its kind; a target may change the kind")
    func deviceKinds() {
        func found(_ yaml: String) -> [String] {
            schema.validate(yaml: yaml, path: "k.yaml").map(\.description)
        }
        #expect(found("device: { id: d, command: x }\nsteps:\n  - wait: 1s\n").contains {
            $0.hasPrefix("k.yaml:1:18: error: schema: 'command' is not allowed in device (A simulated device takes no setting of another kind.)")
        })
        #expect(found("devices: [{ id: d, kind: client, profile: sdk }]\nsteps:\n  - wait: 1s\n").contains { $0.hasPrefix("k.yaml:1:34: error: schema: 'profile' is not allowed in devices[1]") })
        #expect(found("device: { id: d, kind: serial }\nsteps:\n  - wait: 1s\n").contains { $0.contains("device is missing 'port'") })
        #expect(found("device: { id: d, kind: process, command: x, led: 5 }\nsteps:\n  - wait: 1s\n").isEmpty)
        let targets = "device: { id: d, command: x }\ntargets: [{ hub: simulated, device: { kind: process } }]\nsteps:\n  - wait: 1s\n"
        #expect(found(targets).isEmpty)
        #expect(found(targets.replacingOccurrences(of: "kind: process", with: "id: e")).contains { $0.contains("'id' is not allowed in targets[1].device") })
    }

    @Test("keys that go with another: a qualifier with its subject, steps with repeat, device with the actions on one")
    func companions() {
        func found(_ steps: String) -> [String] {
            schema.validate(yaml: "device: { id: d }\nsteps:\n\(steps)", path: "c.yaml").map(\.description)
        }
        #expect(found("  - expect: { led: on, value: 1, within: 1s }\n").contains {
            $0.hasPrefix("c.yaml:3:24: error: schema: 'value' in steps[1].expect goes with 'pin', which is missing")
        })
        #expect(found("  - wait: 1s\n    device: d\n").contains { $0.hasPrefix("c.yaml:4:5: error: schema: 'device' does not fit the other keys of steps[1]") })
        #expect(found("  - wait: 1s\n    steps: [{ wait: 1s }]\n").contains { $0.hasPrefix("c.yaml:4:5: error: schema: 'steps' does not fit the other keys of steps[1] ('steps' goes with repeat and chaos.)") })
        #expect(found("  - repeat: 2\n").contains { $0.contains("'repeat' in steps[1] goes with 'steps', which is missing") })
        #expect(found("  - conect: {}\n").contains { $0.hasPrefix("c.yaml:3:5: error: schema: steps[1] needs one of 'connect', 'subscribe'") })
        #expect(found("  - { connect: {}, wait: 1s }\n").contains { $0.contains("steps[1] may have only one of 'connect', 'subscribe'") })
        #expect(found("  - expect: { led: on }\n").contains { $0.contains("steps[1].expect needs one of 'within', 'for'") })
        #expect(found("  - repeat: 2\n    steps: [{ connect: {}, device: d }]\n    thresholds: { led_latency: { p99: '< 1ms' } }\n").isEmpty)
    }
}
