import Foundation
import IoTHubCore
import MQTTCore
import Scenario
import Testing

/// The scenario language beyond the seed flow: devices, targets, variables, overrides,
/// repeat blocks, every expectation subject, and the step-order checks.
@Suite struct ScenarioLanguageTests {
    func load(_ yaml: String, options: LoadOptions = LoadOptions()) throws(ScenarioLoadError) -> Scenario {
        try ScenarioLoader.load(yaml: yaml, path: "test.yaml", options: options)
    }

    func diagnostics(_ yaml: String, options: LoadOptions = LoadOptions()) -> [ScenarioDiagnostic] {
        do {
            _ = try load(yaml, options: options)
            Issue.record("loaded without errors: \(yaml)")
            return []
        } catch {
            return error.diagnostics
        }
    }

    @Test("every action and expectation parses to its step")
    func vocabulary() throws {
        let scenario = try ScenarioLoader.load(path: ScenarioLoaderTests.fixture("vocabulary"))
        #expect(scenario.steps.count == 25)
        #expect(scenario.steps[0].kind == .connect(cleanSession: false, keepAlive: 30))
        #expect(scenario.steps[2].kind == .unsubscribe(try TopicFilter("a/#")))
        guard case .send(let send) = scenario.steps[3].kind else {
            Issue.record("not a send")
            return
        }
        #expect(send.message.properties.encoded == "k=v&bare")
        #expect(send.message.timeToLive?.duration == .seconds(3600))
        #expect(send.message.acknowledgement == .full)
        #expect(scenario.steps[11].kind == .advanceClock(.seconds(600)))
        #expect(scenario.steps[13].kind == .expect(Expectation(subject: .connack(.notAuthorized), deadline: .within(.seconds(1)))))
        #expect(scenario.steps[15].kind == .expect(Expectation(subject: .pin(number: 2, value: true), deadline: .within(.seconds(1)))))
        guard case .expect(let packet) = scenario.steps[16].kind, case .packet(let matcher) = packet.subject else {
            Issue.record("not a packet expectation")
            return
        }
        #expect(matcher.type == .publish && matcher.flow == .toDevice && matcher.qos == .atLeastOnce && matcher.dup == true && matcher.payload == "on")
        #expect(scenario.steps.allSatisfy { $0.device?.string == "d" || $0.device == nil })
        #expect(scenario.steps[11].device == nil)
        guard case .send(let refused) = scenario.steps[23].kind, case .publish(let large) = scenario.steps[24].kind else {
            Issue.record("not a send and a publish")
            return
        }
        #expect(refused.payloadText == "abcab")
        #expect(refused.refusal == .code("MessageTooLarge"))
        #expect(large.payload == "xyz")
    }

    @Test("refused: true, a code, or false; long payloads are cut in step summaries")
    func refusalsAndPayloadSizes() throws {
        let scenario = try load("""
            device: { id: d }
            steps:
              - send: { payload: "a", refused: true }
              - send: { payload: "b", refused: off }
              - send: { payload: "c", refused: IotHubQuotaExceeded }
              - send: { payload: "0123456789", payload_size: 65537, refused: MessageTooLarge }
            """)
        let sends = scenario.steps.compactMap { step -> SendSpec? in
            if case .send(let spec) = step.kind { spec } else { nil }
        }
        #expect(sends.map(\.refusal) == [.any, nil, .code("IotHubQuotaExceeded"), .code("MessageTooLarge")])
        #expect(sends[3].payloadText.utf8.count == 65537)
        #expect(sends[3].payloadText.hasPrefix("01234567890123"))
        #expect(sends[3].summary == "\"012345678901234567890123…\" (65537 bytes), refused with MessageTooLarge")
        #expect(sends[0].summary == "\"a\", refused")
    }

    @Test("a long payload that holds a secret is never shown cut, and payload_size refuses to repeat a secret")
    func secretPayloads() throws {
        let token = "SharedAccessSignature sr=h&sig=abcdefghijklmnopqrstuvwxyz0123456789&se=1"
        let options = LoadOptions(variables: Variables(overrides: ["TOKEN": token], secretNames: ["TOKEN"]))
        let scenario = try load("""
            device: { id: d }
            steps:
              - send: "{\\"token\\": \\"${TOKEN}\\"}"
              - send: { payload: "${TOKEN}" }
              - send: "short ${TOKEN}"
            """, options: options)
        let summaries = scenario.steps.compactMap { step -> String? in
            if case .send(let spec) = step.kind { spec.summary } else { nil }
        }
        #expect(summaries[0] == "(\(token.utf8.count + 13) bytes holding a secret)")
        #expect(summaries[1] == "(\(token.utf8.count) bytes holding a secret)")
        #expect(summaries.allSatisfy { !$0.contains("SharedAccess") })
        let mistakes = diagnostics("device: { id: d }\nsteps:\n  - send: { payload: \"${TOKEN}\", payload_size: 1000 }\n", options: options)
        #expect(mistakes.contains { $0.message.contains("with payload_size the payload must not hold a secret") }, "\(mistakes)")
    }

    @Test("repeat blocks with thresholds; inner steps numbered within the block")
    func repeatBlocks() throws {
        let scenario = try load("""
            device: { id: d }
            steps:
              - connect: {}
              - repeat: 3
                steps:
                  - send: "on"
                  - expect: { led: on, within: 1s }
                thresholds:
                  led_latency: { p99: "< 5ms", max: "<= 10ms" }
                  latency: { mean: "> 1us" }
            """)
        guard case .repeatBlock(let block) = scenario.steps[1].kind else {
            Issue.record("not a repeat block")
            return
        }
        #expect(block.count == 3)
        #expect(block.steps.map(\.number) == [StepNumber(2, 1), StepNumber(2, 2)])
        #expect(block.thresholds.map(\.description) == ["led_latency p99 < 5ms", "led_latency max <= 10ms", "latency mean > 1us"])
    }

    @Test(
        "mistakes in the newer parts of the language",
        arguments: [
            ("devices: [{id: a}, {id: b}]\nsteps:\n  - connect: {}", "needs 'device:' because the scenario has several devices"),
            ("devices: [{id: a}, {id: b}]\nsteps:\n  - connect: {}\n    device: c", "unknown device 'c'"),
            ("devices: [{id: a}, {id: a}]\nsteps:\n  - connect: {}\n    device: a", "device ids must be unique"),
            ("device: {id: a}\ndevices: [{id: b}]\nsteps:\n  - wait: 1s", "not both"),
            ("device: {id: d}\nsteps:\n  - subscribe: a/b", "comes before any 'connect'"),
            ("device: {id: d}\nsteps:\n  - expire_token: {}", "comes before any 'connect'"),
            ("device: {id: d}\nsteps:\n  - wait: 1s\n    device: d", "does not concern one device"),
            ("device: {id: d}\nsteps:\n  - repeat: 2", "missing required key 'steps'"),
            ("device: {id: d}\nsteps:\n  - repeat: 0\n    steps: [{wait: 1ms}]", "from 1 to 100000"),
            ("device: {id: d}\nsteps:\n  - repeat: 2\n    steps:\n      - repeat: 2\n        steps: [{wait: 1ms}]", "cannot hold another 'repeat'"),
            ("device: {id: d}\nsteps:\n  - repeat: 2\n    steps: [{wait: 1ms}]\n    thresholds: { led_latncy: { p99: '< 1ms' } }", "did you mean 'led_latency'?"),
            ("device: {id: d}\nsteps:\n  - repeat: 2\n    steps: [{wait: 1ms}]\n    thresholds: { latency: { p99: '5ms' } }", "write a comparison"),
            ("device: {id: d}\nsteps:\n  - wait: 1s\n    thresholds: {}", "belongs to a 'repeat' step"),
            ("device: {id: d}\nsteps:\n  - connect: {}\n  - expect: { led: on, value: 1, within: 1s }", "'value' refines 'pin', not 'led'"),
            // A telemetry expectation's payload is its own value; a 'payload' beside it was once ignored.
            ("device: {id: d}\nsteps:\n  - expect: { telemetry: any, payload: x, within: 1s }", "'payload' refines 'packet', not 'telemetry'"),
            ("device: {id: d}\nsteps:\n  - connect: {}\n  - expect: { packet: PUBLSH, within: 1s }", "did you mean 'PUBLISH'?"),
            ("device: {id: d}\nsteps:\n  - connect: {}\n  - expect: { packet: PINGREQ, topic: a, within: 1s }", "'topic' applies to PUBLISH"),
            ("device: {id: d}\nsteps:\n  - connect: {}\n  - expect: { disconnected: true, reason: tired, within: 1s }", "reason 'tired' is unknown"),
            ("device: {id: d}\nsteps:\n  - connect: {}\n  - expect: { output: '(', within: 1s }", "not a valid regular expression"),
            ("device: {id: d}\nsteps:\n  - advance_clock: 0s", "must be positive"),
            ("device: {id: d}\nsteps:\n  - connect: {}\n  - publish: { payload: x, topic: a/+ }", "contains a wildcard"),
            ("device: {id: d}\ntargets: []\nsteps:\n  - wait: 1s", "targets must be a non-empty list"),
            ("device: {id: d}\nhub: simulated\ntargets: [{hub: simulated}]\nsteps:\n  - wait: 1s", "not both"),
            ("device: {id: d}\ntargets: [{hub: simulated}, {hub: simulated}]\nsteps:\n  - wait: 1s", "is used twice"),
            ("device: {id: d}\ntargets: [{hub: simulated, device: {id: x}}]\nsteps:\n  - wait: 1s", "cannot change a device's id"),
            ("device: {id: d}\nsecrets: KEY\nsteps:\n  - wait: 1s", "secrets must be a list"),
            ("device: {id: d}\nsteps:\n  - send: ${MISSING}", "variable 'MISSING' is not set"),
            ("device: {id: d}\nsteps:\n  - send: ${UNCLOSED", "without a closing"),
            ("device:\n\tid: d\nsteps:\n  - wait: 1s", "does not allow tabs"),
            ("device: {id: d}\nsteps:\n  - connect: {}\n  - send:", "send needs a payload"),
            ("device: {id: d}\nsteps:\n  - connect", "write '- connect: {}'"),
            ("device: {id: d}\nsteps:\n  - connect: {}\n  - publish: ~", "publish needs a payload"),
            ("device: {id: d}\nsteps:\n  - connect: { keepalive: ${KA:-30} }", "a ${VAR} inside { } or [ ] must be quoted"),
            ("device: {id: d}\nsteps:\n  - connect: {}\n  - expect: { led: maybe, within: fast }", "led must be on or off, not 'maybe'"),
            ("device: {id: d}\nsteps:\n  - connect: {}\n  - expect: { led: maybe, within: fast }", "within: 'fast' is not a duration"),
            ("device: {id: d}\nsteps:\n  - connect: {}\n  - expect: { led: maybe }", "led must be on or off, not 'maybe'"),
            ("device: {id: d}\nsteps:\n  - send: { payload: x, refused: 12 }", "refused must be true or an IoT Hub error code"),
            ("device: {id: d}\nsteps:\n  - connect: {}\n  - expect: { output: hello, within: 1s }", "which prints no output; 'output' reads the lines"),
            ("device: {id: d, kind: client}\nsteps:\n  - connect: {}\n  - expect: { led: on, within: 1s }", "a bare MQTT client without pins"),
            ("device: {id: d}\nsteps:\n  - send: { payload: x, refused: MessageTooLarg }", "unknown error code 'MessageTooLarg' (did you mean 'MessageTooLarge'?)"),
            ("device: {id: d}\nsteps:\n  - send: { payload: x, refused: 'no such' }", "refused must be true or an IoT Hub error code"),
            ("device: {id: d}\nsteps:\n  - send: { payload: x, payload_size: 0 }", "payload_size must be a whole number from 1 to 1048576"),
            ("device: {id: d}\nsteps:\n  - connect: {}\n  - publish: { payload: x, payload_size: 2000000 }", "payload_size must be a whole number from 1 to 1048576"),
            ("device: {id: d}\nsteps:\n  - send: { payload: é, payload_size: 10 }", "with payload_size the payload must be ASCII"),
        ]
    )
    func mistakes(yaml: String, message: String) {
        let found = diagnostics(yaml)
        #expect(found.contains { $0.message.contains(message) }, "\(found.map(\.description))")
        #expect(found.allSatisfy { $0.location.line >= 1 && $0.location.column >= 1 })
    }

    @Test("variables: --set wins over the environment, defaults apply, $${ is literal, secrets are collected")
    func variables() throws {
        let options = LoadOptions(
            variables: Variables(overrides: ["ID": "from-set"], environment: ["ID": "from-env", "KEY": "c2VjcmV0LWtleS12YWx1ZQ=="], secretNames: []),
            hubOverride: nil
        )
        let scenario = try load("""
            name: ${NAME:-fallback}
            secrets: [KEY]
            device: { id: "${ID}", key: "${KEY}" }
            steps:
              - connect: {}
              - send: "$${literal} ${ID}"
            """, options: options)
        #expect(scenario.name == "fallback")
        #expect(scenario.device?.id.string == "from-set")
        guard case .send(let send) = scenario.steps[1].kind else {
            Issue.record("not a send")
            return
        }
        #expect(send.payloadText == "${literal} from-set")
        #expect(scenario.secretValues.contains("c2VjcmV0LWtleS12YWx1ZQ=="))
    }

    @Test("--hub and --device override the file; bad overrides are reported")
    func overrides() throws {
        let yaml = "targets: [{name: a, hub: simulated}, {name: b, hub: simulated}]\ndevice: { id: d }\nsteps:\n  - connect: {}"
        let overridden = try load(yaml, options: LoadOptions(hubOverride: "simulated", deviceOverrides: [(key: "token_ttl", value: "5m")]))
        #expect(overridden.targets.count == 1)
        #expect(overridden.device?.tokenTTL == .seconds(300))
        let bad = diagnostics(yaml, options: LoadOptions(hubOverride: "tcp://nowhere", deviceOverrides: [(key: "profil", value: "x")]))
        #expect(bad.contains { $0.location.file == "--hub" })
        #expect(bad.contains { $0.location.file == "--device" && $0.message.contains("did you mean 'profile'?") })
    }

    @Test("targets: each has its hub and device overrides")
    func targets() throws {
        let scenario = try load("""
            device: { id: d, token_ttl: 1h }
            targets:
              - { name: short, hub: simulated, device: { token_ttl: 2m } }
              - { hub: { kind: simulated, hostname: lab.azure-devices.net } }
            steps:
              - connect: {}
            """)
        #expect(scenario.targets.map(\.name) == ["short", "simulated"])
        #expect(scenario.targets[0].devices[0].tokenTTL == .seconds(120))
        #expect(scenario.targets[1].devices[0].tokenTTL == .seconds(3600))
        #expect(scenario.targets[1].hub == .simulated(SimulatedHubTarget(hostName: "lab.azure-devices.net")))
    }

    @Test("x- keys hold YAML anchors and are otherwise ignored; CRLF line endings and a BOM are fine")
    func anchorsAndLineEndings() throws {
        let scenario = try load("x-wait: &pause { wait: 1ms }\r\ndevice: { id: d }\r\nsteps:\r\n  - connect: {}\r\n  - *pause\r\n")
        #expect(scenario.steps.map(\.title) == ["connect clean_session=true keepalive=0", "wait 1ms"])
        let bom = try load("\u{FEFF}device: { id: d }\nsteps:\n  - wait: 1s\n")
        #expect(bom.steps.count == 1)
    }
}
