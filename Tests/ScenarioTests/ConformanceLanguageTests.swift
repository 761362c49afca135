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
        #expect(device.settings == .client(DeviceSpec.ClientSettings(
            will: DeviceSpec.WillSpec(topic: try TopicName("w/c"), payload: "bye", qos: .atLeastOnce, retain: true),
            acknowledgesMessages: false
        )))
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
            ("statements: [PAHO-1, PAHO-1]\ndevice: {id: c}\nsteps:\n  - connect: {}\n", 1, 22, "listed twice"),
            // Ids of the standard are checked against its list, with the real spelling offered.
            ("statements: [MQTT-3.8.3-4]\ndevice: {id: c}\nsteps:\n  - connect: {}\n", 1, 14, "'MQTT-3.8.3-4' is not a normative statement of MQTT 3.1.1 (did you mean 'MQTT-3-8.3-4'?)"),
            ("device: {id: c}\nsteps:\n  - connect: {}\n    statements: [MQTT-3.1.2-99]\n", 4, 18, "'MQTT-3.1.2-99' is not a normative statement"),
            ("device: {id: c}\nsteps:\n  - repeat: 2\n    steps:\n      - connect: {}\n        statements: [MQTT-3.1.2-24]\n", 6, 21, "'statements' belong to top-level steps"),
            // one_of: at least two branches, a lone not_applicable last, events only, 'within' only.
            ("device: {id: c, kind: client}\nsteps:\n  - connect: {}\n  - expect: { one_of: [ { connack: accepted } ], within: 1s }\n", 4, 23, "one_of must be a list of at least two branches"),
            ("device: {id: c, kind: client}\nsteps:\n  - connect: {}\n  - expect: { one_of: [ { not_applicable: x }, { connack: accepted } ], within: 1s }\n", 4, 25, "must be the last"),
            ("device: {id: c, kind: client}\nsteps:\n  - connect: {}\n  - expect: { one_of: [ { connack: accepted }, { disconnected: true } ], for: 1s }\n", 4, 74, "'one_of' takes 'within'"),
            ("device: {id: c, kind: client}\nsteps:\n  - connect: {}\n  - expect: { one_of: [ { connack: accepted }, { disconnected: true } ], connack: accepted, within: 1s }\n", 4, 74, "goes inside a branch of 'one_of'"),
            // after: an earlier expectation of the same device.
            ("device: {id: c, kind: client}\nsteps:\n  - connect: {}\n  - expect: { connack: accepted, after: 5, within: 1s }\n", 4, 5, "'after: 5' must name an earlier top-level 'expect' step"),
            ("device: {id: c, kind: client}\nsteps:\n  - connect: {}\n  - expect: { disconnected: false, after: 1, for: 1s }\n", 4, 43, "'after' orders observations, so it takes 'within'"),
            // published_qos: PUBLISH only, and not with qos.
            ("device: {id: c, kind: client}\nsteps:\n  - connect: {}\n  - expect: { packet: PUBLISH, qos: 1, published_qos: 2, within: 1s }\n", 4, 55, "give 'qos'"),
            ("device: {id: c, kind: client}\nsteps:\n  - connect: {}\n  - expect: { packet: SUBACK, published_qos: 2, within: 1s }\n", 4, 46, "'published_qos' applies to PUBLISH only"),
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

/// Statements on steps, the `finally:` part, `one_of`, `after` and `published_qos` as the
/// loader reads them.
@Suite struct ConformanceStepsLoadingTests {
    @Test("statements sit on the steps that check them; top-level ones go to every step but the cleanup; finally numbers on")
    func statementsAndFinally() throws {
        let yaml = """
            statements: [IOTHUB-OWN-NAME]
            device: { id: c, kind: client }
            steps:
              - connect: {}
                statements: [MQTT-3.1.4-4]
              - expect:
                  one_of:
                    - { bytes: "20 02 00 00" }
                    - { disconnected: true, not_applicable: "it closes instead" }
                    - { not_applicable: "nothing came" }
                  within: 1s
                statements: [MQTT-3.2.2-1]
              - expect: { packet: PUBLISH, direction: to_device, published_qos: 2, after: 2, within: 1s }
            finally:
              - restart: {}
              - connect: {}
                statements: [MQTT-3.1.2-6]

            """
        let scenario = try ScenarioLoader.load(yaml: yaml, path: "s.yaml")
        #expect(scenario.steps.map(\.statements) == [["IOTHUB-OWN-NAME", "MQTT-3.1.4-4"], ["IOTHUB-OWN-NAME", "MQTT-3.2.2-1"], ["IOTHUB-OWN-NAME"]])
        #expect(scenario.finallySteps.map(\.number.description) == ["4", "5"])
        #expect(scenario.finallySteps.allSatisfy { $0.isCleanup })
        #expect(scenario.finallySteps.map(\.statements) == [[], ["MQTT-3.1.2-6"]])
        #expect(scenario.finallySteps[0].title == "finally: restart")
        #expect(scenario.statements == ["IOTHUB-OWN-NAME", "MQTT-3.1.4-4", "MQTT-3.2.2-1", "MQTT-3.1.2-6"])
        guard case .expect(let branches) = scenario.steps[1].kind, case .oneOf(let alternatives) = branches.subject else {
            Issue.record("not a one_of: \(scenario.steps[1].kind)")
            return
        }
        #expect(alternatives.map(\.notApplicable) == [nil, "it closes instead", "nothing came"])
        #expect(alternatives.last?.subject == nil)
        guard case .expect(let ordered) = scenario.steps[2].kind, case .packet(let matcher) = ordered.subject else {
            Issue.record("not a packet expectation")
            return
        }
        #expect(ordered.after == StepNumber(2))
        #expect(matcher.publishedQoS == .exactlyOnce)
        #expect(matcher.qos == nil)
    }

    @Test("the committed MQTT 3.1.1 list: every id of Appendix B and chapter 7 once, with its text; the codec's statement ids are all in it")
    func standardList() {
        let standard = NormativeStatements.mqtt311
        #expect(standard.all.count == 141)
        #expect(Set(standard.all.map(\.id)).count == standard.all.count)
        #expect(standard["MQTT-3-8.3-4"]?.text.hasPrefix("The Server MUST treat a SUBSCRIBE packet as malformed") == true)
        #expect(standard["MQTT-3.8.3-4"] == nil)
        #expect(standard["MQTT-3.8.4-6"]?.text.contains("MUST be the minimum of the QoS of the originally published message") == true)
        #expect(standard.all.filter { $0.text.isEmpty }.isEmpty)
        #expect(standard.problem(with: "PAHO-overlapping-subscriptions") == nil)
        #expect(standard.problem(with: "MQTT-4.7.3-4") == nil)
        #expect(standard.problem(with: "IOTHUB-QOS2-PUBLISH-DROPS") == nil)
        #expect(standard.problem(with: "MQTTX-OWN-NAME") == nil)
        // Every statement the codec names when it refuses a packet is one of the standard's.
        let codec = ScenarioLoaderTests.repositoryRoot.appendingPathComponent("Sources/MQTTCore/Codec/MQTTDecodingError+Statement.swift")
        let source = (try? String(contentsOf: codec, encoding: .utf8)) ?? ""
        let ids = source.matches(of: /"(MQTT-[0-9][0-9.\-]*[0-9])"/).map { String($0.1) }
        #expect(ids.count >= 25)
        for id in ids { #expect(standard[id] != nil, "\(id) from the codec is not in the list") }
    }

    @Test(
        "a statement id misspelt in case or separators is refused with the id it means, not taken for a pack's own name",
        arguments: [
            ("mqtt-3.1.4-4", "MQTT-3.1.4-4"),
            ("MQTT_3.2.0-1", "MQTT-3.2.0-1"),
            ("MQTT.3.1.4-4", "MQTT-3.1.4-4"),
            ("MQTT3.1.4-4", "MQTT-3.1.4-4"),
            ("Mqtt-3-1-4-4", "MQTT-3.1.4-4"),
            ("MQTT-3.8.3-4", "MQTT-3-8.3-4"),
        ]
    )
    func misspeltStatementIDs(id: String, meant: String) {
        let standard = NormativeStatements.mqtt311
        #expect(standard.claims(id))
        #expect(standard.problem(with: id)?.hasPrefix("'\(id)' is not a normative statement of MQTT 3.1.1 (did you mean '\(meant)'?)") == true, "\(standard.problem(with: id) ?? "no problem")")
    }

    @Test("a misspelt statement id in a scenario is an error at its place")
    func misspeltStatementInScenario() {
        let yaml = """
            name: s
            device: { id: c, kind: client }
            steps:
              - connect: {}
                statements: [mqtt-3.1.4-4, IOTHUB-OWN]

            """
        #expect {
            try ScenarioLoader.load(yaml: yaml, path: "s.yaml")
        } throws: { error in
            "\(error)".contains("s.yaml:5:18: error: 'mqtt-3.1.4-4' is not a normative statement of MQTT 3.1.1 (did you mean 'MQTT-3.1.4-4'?)")
        }
    }
}
