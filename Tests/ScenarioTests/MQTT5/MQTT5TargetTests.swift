@testable import Scenario
import Testing

/// IoT Hub, real or simulated, speaks MQTT 3.1.1 only: a `protocol: 5` device or fleet that
/// connects to it is refused at load, at its first connect, once.
@Suite struct MQTT5TargetTests {
    func problems(_ yaml: String) -> [String] {
        do {
            _ = try ScenarioLoader.load(yaml: yaml, path: "v5.yaml")
            return []
        } catch {
            return error.diagnostics.map { "\($0.location.line):\($0.location.column): \($0.message)" }
        }
    }

    @Test("a protocol 5 client against the simulated hub: refused at its first connect, with the reason")
    func simulatedHub() {
        let found = problems("""
            device: { id: c5, kind: client, protocol: 5 }
            steps:
              - connect: { clean_start: true }
              - disconnect: {}
              - connect: { clean_start: true }
            """)
        #expect(found == ["3:5: device 'c5' speaks MQTT 5.0 (protocol: 5), and the simulated IoT Hub speaks MQTT 3.1.1 only: it answers a 5.0 CONNECT with CONNACK 1 (unacceptable protocol version); use protocol 3.1.1 there, or an MQTT 5.0 broker (mqtt://...)"])
    }

    @Test("a protocol 5 fleet against the simulated hub is refused; the same fleet against a broker loads")
    func fleet() {
        let fleet = """
            fleet: { name: sensors, id: "s-${index}", count: 2, kind: client, protocol: 5 }
            steps:
              - { device: sensors, connect: {} }
            """
        #expect(problems(fleet).count == 1)
        #expect(problems(fleet).first?.contains("fleet 'sensors' speaks MQTT 5.0") == true, "\(problems(fleet))")
        #expect(problems("hub: \"mqtt://127.0.0.1:1883\"\n" + fleet) == [])
    }
}
