import Foundation
import HarnessTestSupport
import Testing

/// `harness validate` knows the MQTT 5.0 words: the shipped example and the vocabulary fixture
/// pass; 5.0 mistakes are refused at their file:line:column with exit status 2.
@Suite struct ValidateMQTT5Tests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("validate accepts the MQTT 5.0 example and fixture, and refuses 5.0 mistakes with file:line:column, exit 2")
    func mqtt5() async throws {
        let good = try await HarnessBinary.run([
            "validate",
            Self.root.appendingPathComponent("scenarios/examples/mqtt5").path,
            Self.root.appendingPathComponent("Tests/ScenarioTests/Fixtures/vocabulary/mqtt5.yaml").path,
        ])
        #expect(good.status == 0, "\(good.standardOutput)\(good.standardError)")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-validate-v5-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let yaml = """
            hub: "mqtt://127.0.0.1:1883"
            devices:
              - { id: c1, kind: client, protocol: 5 }
              - { id: d, protocol: 5 }
            steps:
              - { device: c1, connect: { properties: { recieve_maximum: 5 } } }
              - { device: c1, expect: { disconnect: { reason: 0x1FF }, within: 1s } }
            """
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: folder + "/bad.yaml"))
        let bad = try await HarnessBinary.run(["validate", folder + "/bad.yaml"])
        let text = bad.standardOutput + bad.standardError
        #expect(bad.status == 2)
        #expect(text.contains("bad.yaml:4:24: error: protocol 5: umqtt.simple speaks MQTT 3.1.1 only"), "\(text)")
        #expect(text.contains("bad.yaml:6:44: error: unknown MQTT 5.0 property 'recieve_maximum' (did you mean 'receive_maximum'?)"), "\(text)")
        #expect(text.contains("bad.yaml:7:51: error: reason 0x1FF is out of range"), "\(text)")
    }
}
