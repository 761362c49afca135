import Foundation
import MQTTCore
import Scenario
import Testing

/// The conformance keys of the scenario language: `kind: client`, `will`, `auto_ack`,
/// `send_bytes`, `expect: { bytes }` and `statements`, with positions for every mistake.
@Suite struct ConformanceLanguageTests {
    func load(_ yaml: String) throws(ScenarioLoadError) -> Scenario {
        try ScenarioLoader.load(yaml: yaml, path: "conform.yaml")
    }

    func diagnostics(_ yaml: String) -> [ScenarioDiagnostic] {
        do {
            _ = try load(yaml)
            Issue.record("loaded without errors: \(yaml)")
            return []
        } catch {
            return error.diagnostics
        }
    }

    @Test("the conformance keys parse to their model")
    func parses() throws {
        let scenario = try load(
            """
            statements: [MQTT-3.1.0-2, MQTT-4.8.0-1]
            device:
              id: c
              kind: client
              auto_ack: false
              will: { topic: w/c, payload: "bye", qos: 1, retain: true }
            steps:
              - send_bytes: "10 0c 00 04 4d 51 54 54 04 02 00 3c 00 00"
              - send_bytes: "c000"
              - expect: { bytes: "20 02 00 00", within: 1s }
              - expect: { disconnected: true, within: 2s }
            """
        )
        #expect(scenario.statements == ["MQTT-3.1.0-2", "MQTT-4.8.0-1"])
        let device = try #require(scenario.device)
        #expect(device.kind == .client)
        #expect(device.autoAck == false)
        #expect(device.will == DeviceSpec.WillSpec(topic: try TopicName("w/c"), payload: "bye", qos: .atLeastOnce, retain: true))
        #expect(scenario.steps[0].kind == .sendBytes(HexBytes([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00])))
        #expect(scenario.steps[1].kind == .sendBytes(HexBytes([0xc0, 0x00])))
        #expect(scenario.steps[2].kind == .expect(Expectation(subject: .bytes(HexBytes([0x20, 0x02, 0x00, 0x00]), exact: false), deadline: .within(.seconds(1)))))
    }

    @Test(
        "mistakes are reported at their line and column",
        arguments: [
            // A bad hex digit is pointed at itself: column of the value + its offset (+1 for the quote).
            ("device: {id: c, kind: client}\nsteps:\n  - send_bytes: \"10 0x\"\n", 3, 22, "'x' is not a hex digit"),
            ("device: {id: c, kind: client}\nsteps:\n  - send_bytes: 1 0c\n", 3, 17, "has no second digit"),
            ("device: {id: c, kind: client}\nsteps:\n  - send_bytes: \"\"\n", 3, 18, "no bytes given"),
            ("device: {id: c, kind: client}\nsteps:\n  - send_bytes: c0 00\n  - expect: { bytes: \"zz\", within: 1s }\n", 4, 23, "'z' is not a hex digit"),
            ("device: {id: c, kind: client}\nsteps:\n  - send_bytes: c0 00\n  - expect: { bytes: \"20 02\", for: 1s }\n", 4, 31, "'bytes' takes 'within'"),
            ("device: {id: d}\nsteps:\n  - send_bytes: c0 00\n", 3, 5, "cannot send raw bytes; use a device of kind 'client'"),
            ("device: {id: d}\nsteps:\n  - connect: {}\n  - expect: { bytes: \"20\", within: 1s }\n", 4, 5, "does not report raw bytes"),
            ("device: {id: d, auto_ack: false}\nsteps:\n  - connect: {}\n", 1, 17, "'auto_ack' is for devices of kind 'client'"),
            ("device: {id: c, kind: client, will: {payload: x}}\nsteps:\n  - connect: {}\n", 1, 37, "missing required key 'topic'"),
            ("device: {id: c, kind: client, will: {topic: \"a/+\"}}\nsteps:\n  - connect: {}\n", 1, 45, "will topic"),
            ("device: {id: c, kind: client, auto_ack: maybe}\nsteps:\n  - connect: {}\n", 1, 41, "auto_ack must be true or false"),
            ("statements: MQTT-3.1.0-1\ndevice: {id: c}\nsteps:\n  - connect: {}\n", 1, 13, "statements must be a list"),
            ("statements: [MQTT-1, MQTT-1]\ndevice: {id: c}\nsteps:\n  - connect: {}\n", 1, 22, "listed twice"),
        ]
    )
    func mistakes(yaml: String, line: Int, column: Int, message: String) {
        let found = diagnostics(yaml)
        #expect(
            found.contains { $0.message.contains(message) && $0.location.line == line && $0.location.column == column },
            "\(found.map(\.description))"
        )
    }

    @Test("hex text: whitespace anywhere between pairs, upper or lower case; the formatter writes pairs")
    func hex() throws {
        #expect(try HexBytes(parsing: " 0A0b\n\t0C ").bytes == [0x0a, 0x0b, 0x0c])
        #expect(HexBytes([0x00, 0xff, 0x10]).description == "00 ff 10")
        #expect(throws: HexBytes.ParseError.self) { try HexBytes(parsing: "0 a") }
    }
}
