import Devices
import Foundation
import IoTHubCore
import MQTTCore
import Scenario
import Testing

@Suite struct ScenarioLoaderTests {
    static func fixture(_ name: String) -> String {
        Bundle.module.url(forResource: name, withExtension: "yaml", subdirectory: "Fixtures")?.path ?? name
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    func diagnostics(_ name: String) -> [ScenarioDiagnostic] {
        do {
            _ = try ScenarioLoader.load(path: Self.fixture(name))
            Issue.record("\(name) loaded without errors")
            return []
        } catch {
            return error.diagnostics
        }
    }

    @Test("the shipped seed scenario loads with every step")
    func seedScenario() throws {
        let scenario = try ScenarioLoader.load(path: Self.repositoryRoot.appendingPathComponent("scenarios/c2d-led.yaml").path)
        #expect(scenario.name == "c2d-led")
        #expect(scenario.device?.id.string == "esp8266")
        #expect(scenario.device?.settings == .simulated(DeviceSpec.SimulatedSettings(profile: .umqttSimple)))
        #expect(scenario.targets.map(\.name) == ["simulated"])
        #expect(scenario.steps.map(\.title) == [
            "connect clean_session=false keepalive=4000",
            "expect connack accepted within 1s",
            "subscribe devices/esp8266/messages/devicebound/# qos=0",
            "send \"on\"",
            "expect led on within 500ms",
            "send \"off\"",
            "expect led off within 500ms",
        ])
        #expect(scenario.steps[0].location.line == 13)
        #expect(scenario.steps[0].location.column == 5)
    }

    @Test("wrong indentation is a syntax error at its line and column")
    func indentation() {
        let found = diagnostics("bad-indentation")
        #expect(found.count == 1)
        #expect(found.first?.location.line == 4)
        #expect(found.first?.location.column == 2)
        #expect(found.first?.description.hasSuffix("check the indentation") == true || found.first?.message.contains("YAML syntax error") == true)
    }

    @Test("every mistake is reported at once, each with file:line:column")
    func manyMistakes() {
        let found = diagnostics("many-mistakes")
        let summary = found.map { "\($0.location.line):\($0.location.column) \($0.message)" }
        func has(_ line: Int, _ column: Int, _ fragment: String) {
            #expect(
                found.contains { $0.location.line == line && $0.location.column == column && $0.message.contains(fragment) },
                "missing \(line):\(column) '\(fragment)' in \(summary)"
            )
        }
        has(4, 3, "unknown key 'profil' in device (did you mean 'profile'?)")
        has(6, 5, "unknown key 'conect' in step 1 (did you mean 'connect'?)")
        has(7, 16, "unknown key 'clean_sesion' in connect (did you mean 'clean_session'?)")
        has(8, 42, "it has no unit")
        has(9, 32, "'fast' is not a duration")
        has(10, 16, "[MQTT-4.7.1-2]")
        has(11, 20, "led must be on or off")
        has(12, 33, "did you mean 'full'?")
        #expect(found.count == 8)
        #expect(found.allSatisfy { $0.description.hasPrefix("\(Self.fixture("many-mistakes")):\($0.location.line):\($0.location.column): error: ") })
    }

    @Test("a missing device is reported")
    func missingDevice() {
        let found = diagnostics("missing-device")
        #expect(found.map(\.message) == ["the scenario is missing required key 'device'"])
        #expect(found.first?.location.line == 1)
    }

    @Test(
        "inline mistakes",
        arguments: [
            ("device: {id: d}\nsteps: []", "steps must hold at least one step"),
            ("device: {id: d}\nsteps:\n  - connect: {}\nfinally: []", "finally must hold at least one step"),
            ("device: {id: d}\nsteps:\n  - connect: {}\nfinally: restart", "finally must be a list"),
            ("device: {id: d}\nsteps:\n  - connect: {}\n    send: on", "one step does one thing"),
            ("device: {id: d}\nsteps:\n  - expect: { led: on }", "expect needs a deadline"),
            ("device: {id: d}\nsteps:\n  - expect: { within: 1s }", "expect needs one subject"),
            ("device: {id: d}\nsteps:\n  - connect: {}\n  - expect: { disconnected: true, for: 1s }", "is ambiguous"),
            ("device: {id: d}\nsteps:\n  - connect: {}\n  - expect: { reconnected: false, within: 1s }", "takes 'for'"),
            ("device: {id: d}\nsteps:\n  - expect: { connack: maybe, within: 1s }", "is not a return code"),
            ("device: {id: 'a b'}\nsteps:\n  - connect: {}", "invalid device id"),
            ("device: {id: d, profile: umqtt-simpel}\nsteps:\n  - connect: {}", "did you mean 'umqtt-simple'?"),
            ("device: {id: d, key: '!!'}\nsteps:\n  - connect: {}", "not valid base64"),
            ("hub: mqtt:/x\ndevice: {id: d}\nsteps:\n  - connect: {}", "is not one of: simulated"),
            ("hub: { kind: mqtt, tls: true }\ndevice: {id: d}\nsteps:\n  - connect: {}", "does not apply to a mqtt hub"),
            ("device: {id: d}\nsteps:\n  - connect: { keepalive: 70000 }", "from 0 to 65535"),
            ("device: {id: d}\nsteps:\n  - wait: 5", "has no unit"),
            ("device: {id: d}\nsteps: connect", "steps must be a list"),
            ("- just a list", "must be a mapping"),
            ("", "the file is empty"),
            ("device: {id: d}\nsteps:\n  - send: { properties: {a: b} }", "missing required key 'payload'"),
        ]
    )
    func inline(yaml: String, message: String) {
        do {
            _ = try ScenarioLoader.load(yaml: yaml, path: "inline.yaml")
            Issue.record("loaded: \(yaml)")
        } catch {
            #expect(error.diagnostics.contains { $0.message.contains(message) }, "\(error.diagnostics)")
            #expect(error.diagnostics.allSatisfy { $0.location.file == "inline.yaml" && $0.location.line >= 1 })
        }
    }

    @Test("unquoted on/off are payload text, not YAML 1.1 booleans")
    func onOffPayloads() throws {
        let scenario = try ScenarioLoader.load(yaml: "device: {id: d}\nsteps:\n  - send: on\n  - send: off\n  - expect: {led: on, for: 1s}", path: "x.yaml")
        guard case .send(let first) = scenario.steps[0].kind, case .send(let second) = scenario.steps[1].kind else {
            Issue.record("not send steps")
            return
        }
        #expect(first.payloadText == "on")
        #expect(second.payloadText == "off")
        #expect(scenario.steps[2].kind == .expect(Expectation(subject: .led(isOn: true), deadline: .holdsFor(.seconds(1)))))
    }

    @Test("durations", arguments: [("500ms", Duration.milliseconds(500)), ("1s", .seconds(1)), ("1.5s", .milliseconds(1500)), ("2m", .seconds(120)), ("1h", .seconds(3600)), ("250us", .microseconds(250)), ("2d", .seconds(172_800))])
    func durations(text: String, duration: Duration) throws {
        #expect(try ScenarioDuration.parse(text).get() == duration)
        #expect(ScenarioDuration.format(duration) == text)
    }
}
