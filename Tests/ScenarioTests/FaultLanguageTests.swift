import Foundation
import IoTHubCore
import MQTTCore
import Scenario
import Testing

/// `fault`, `heal`, `chaos` and `delivered` as the loader reads them, and every mistake with
/// its line and column.
@Suite struct FaultLanguageTests {
    func load(_ yaml: String) throws(ScenarioLoadError) -> Scenario {
        try ScenarioLoader.load(yaml: yaml, path: "faults.yaml")
    }

    /// The diagnostics of `yaml`, as `line:column: message`.
    func problems(_ yaml: String) -> [String] {
        do {
            _ = try load(yaml)
            Issue.record("loaded without errors: \(yaml)")
            return []
        } catch {
            return error.diagnostics.map { "\($0.location.line):\($0.location.column): \($0.message)" }
        }
    }

    static let twoDevices = """
        devices: [{ id: esp8266, profile: umqtt-robust }, { id: sensor, profile: sdk }]
        steps:
          - { device: esp8266, connect: {} }

        """

    @Test("fault steps read their kind, target, settings and duration; heal reads what it ends")
    func faults() throws {
        let scenario = try load(Self.twoDevices + """
              - fault: { kind: delay, device: esp8266, delay: 200ms, jitter: 5ms, direction: to_device, for: 30s }
              - fault: { kind: slice, device: all, bytes: 1 }
              - fault: { kind: bandwidth, device: sensor, bytes_per_second: 1000, direction: to_hub }
              - fault: { kind: drop, device: sensor }
              - fault: { kind: restart, for: 2s }
              - fault: { kind: throttle, device: sensor }
              - heal: { kind: slice }
              - heal: {}
            """)
        let kinds = scenario.steps.dropFirst().map(\.kind)
        let esp = try DeviceID("esp8266")
        let sensor = try DeviceID("sensor")
        #expect(kinds[0] == .fault(FaultSpec(kind: .delay(.milliseconds(200), jitter: .milliseconds(5), direction: .toDevice), target: .device(esp), duration: .seconds(30))))
        #expect(kinds[1] == .fault(FaultSpec(kind: .slice(bytes: 1, direction: .both), target: .allDevices)))
        #expect(kinds[2] == .fault(FaultSpec(kind: .bandwidth(bytesPerSecond: 1000, direction: .toHub), target: .device(sensor))))
        #expect(kinds[3] == .fault(FaultSpec(kind: .drop, target: .device(sensor))))
        #expect(kinds[4] == .fault(FaultSpec(kind: .restart, target: .hub, duration: .seconds(2))))
        #expect(kinds[5] == .fault(FaultSpec(kind: .throttle, target: .device(sensor))))
        #expect(kinds[6] == .heal(FaultHeal(kind: "slice")))
        #expect(kinds[7] == .heal(FaultHeal()))
        #expect(scenario.steps[1].title == "fault delay 200ms±5ms to_device esp8266 for 30s")
    }

    @Test("bad faults are refused at their line and column, with a did-you-mean")
    func badFaults() {
        let found = problems(Self.twoDevices + """
              - fault: { kind: blackhol, device: esp8266 }
              - fault: { kind: drop, device: esp8266, for: 2s }
              - fault: { kind: delay, device: esp8266 }
              - fault: { kind: slice, device: esp8266, bytes: 1, delay: 5ms }
              - fault: { kind: blackhole }
              - fault: { kind: blackhole, device: esp8267 }
              - fault: { kind: delay, device: all, delay: 5ms, jitter: 10ms }
              - fault: { kind: blackhole, device: all, for: soon }
              - { device: esp8266, fault: { kind: drop } }
              - fault: { kind: delay, device: all, delay: 5ms, direction: sideways }
              - fault: { kind: delay, device: all, delay: 2h }
            """)
        #expect(found.contains("4:20: unknown fault kind 'blackhol' (did you mean 'blackhole'?); known: drop, close, blackhole, delay, bandwidth, slice, refuse, partition, restart, throttle, auth_error, quota_exceeded, certificate_expired, certificate_wrong_name, certificate_untrusted, ca_rotation, clock_skew"))
        #expect(found.contains("5:43: a drop fault happens once, when the step runs; it takes no 'for'"))
        #expect(found.contains { $0.hasPrefix("6:12: ") && $0.contains("delay") })
        #expect(found.contains("7:54: 'delay' is not a setting of a slice fault; it takes bytes, direction"))
        #expect(found.contains { $0.hasPrefix("8:20: this fault needs 'device:'") })
        #expect(found.contains { $0.hasPrefix("9:39: unknown device 'esp8267' (did you mean 'esp8266'?)") })
        #expect(found.contains { $0.hasPrefix("10:60: jitter (10ms) must not exceed the delay (5ms)") })
        #expect(found.contains { $0.hasPrefix("11:49: ") && $0.contains("soon") })
        #expect(found.contains("12:15: 'fault' names its device inside: fault: { kind: ..., device: ... }"))
        #expect(found.contains { $0.hasPrefix("13:63: direction 'sideways' is not one of both, to_hub, to_device") })
        #expect(found.contains("14:47: delay must be longer than 0 and at most 1h (a longer one is a blackhole)"))
    }

    @Test("hub faults on a broker target are refused at load; network faults are not")
    func hubFaultsNeedTheSimulatedHub() {
        let found = problems("""
            hub: mqtt://127.0.0.1:1883
            device: { id: esp8266, kind: client }
            steps:
              - connect: {}
              - fault: { kind: drop }
              - fault: { kind: restart, for: 1s }
              - chaos: { for: 1s, every: 1s, faults: [{ kind: drop }, { kind: throttle, for: 1s }], invariants: [delivered] }
                steps:
                  - wait: 100ms
            """)
        #expect(found.count == 2)
        #expect(found.first?.hasPrefix("6:5: a 'restart' fault needs the simulated hub") == true)
        #expect(found.last?.hasPrefix("7:5: a 'throttle' fault needs the simulated hub") == true)
    }

    @Test("chaos blocks read their time, wait, faults, invariants and seed; without invariants or a fault's own time they are refused")
    func chaos() throws {
        let scenario = try load("""
            device: { id: esp8266, profile: umqtt-robust }
            steps:
              - connect: { clean_session: false }
              - chaos: { for: 1m, every: 5s..20s, faults: [{ kind: drop }, { kind: blackhole, for: 3s }], invariants: [delivered, { reconnected_within: 30s }], seed: 7 }
                steps:
                  - send: "on"
            """)
        guard case .chaos(let block) = scenario.steps[1].kind else {
            Issue.record("not a chaos block: \(scenario.steps[1].kind)")
            return
        }
        #expect(block.duration == .seconds(60))
        #expect(block.interval == .seconds(5) ... .seconds(20))
        #expect(block.faults.map(\.kind.name) == ["drop", "blackhole"])
        #expect(block.invariants == [.delivered, .reconnectedWithin(.seconds(30))])
        #expect(block.seed == 7)
        #expect(block.steps.map(\.number.description) == ["2.1"])
        let found = problems("""
            device: { id: esp8266, profile: umqtt-robust }
            steps:
              - connect: {}
              - chaos: { for: 1m, every: 20s..5s, faults: [{ kind: blackhole }], invariants: [] }
                steps:
                  - send: "on"
              - chaos: { for: 1m, every: 1s, faults: [{ kind: drop }], invariants: [delivred] }
                steps:
                  - send: "on"
            """)
        #expect(found.contains { $0.hasPrefix("4:30: chaos 'every' must be longer than 0") })
        #expect(found.contains { $0.hasPrefix("4:48: a chaos fault needs its own 'for'") })
        #expect(found.contains { $0.hasPrefix("4:82: chaos 'invariants' must list what must hold") })
        #expect(found.contains { $0.hasPrefix("7:73: unknown invariant 'delivred' (did you mean 'delivered'?)") })
    }

    @Test("delivered takes 'all' and duplicates; it is refused on a real IoT Hub")
    func delivered() throws {
        let scenario = try load("""
            device: { id: esp8266 }
            steps:
              - connect: {}
              - expect: { delivered: all, duplicates: true, within: 1s }
            """)
        #expect(scenario.steps[1].kind == .expect(Expectation(subject: .delivered(duplicates: true), deadline: .within(.seconds(1)))))
        #expect(problems("""
            device: { id: esp8266 }
            steps:
              - connect: {}
              - expect: { delivered: some, within: 1s }
            """) == ["4:26: delivered takes 'all' (every C2D message sent to the device so far), not 'some'"])
        let azure = problems("""
            hub: azure://myhub.azure-devices.net
            device: { id: esp8266, key: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" }
            steps:
              - connect: {}
              - expect: { delivered: all, within: 1s }
            """)
        #expect(azure.contains { $0.hasPrefix("5:5: 'expect delivered' needs the simulated hub or a broker") })
    }

    @Test("throttle_connack chooses the simulated hub's CONNACK while it throttles: 3 or 5, nothing else")
    func throttleConnAck() throws {
        let scenario = try load("""
            hub: { kind: simulated, throttle_connack: 3 }
            device: { id: esp8266 }
            steps:
              - connect: {}
            """)
        guard case .simulated(let hub) = scenario.targets[0].hub else {
            Issue.record("not the simulated hub")
            return
        }
        #expect(hub.throttleConnAck == .serverUnavailable)
        #expect(problems("""
            hub: { kind: simulated, throttle_connack: 4 }
            device: { id: esp8266 }
            steps:
              - connect: {}
            """) == ["1:43: throttle_connack must be 3 (server unavailable) or 5 (not authorized)"])
    }
}
