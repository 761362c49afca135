import IoTHubCore
import MQTTCore
import NIOPosix
import Scenario
import Testing

/// Scenario devices with `transport: websockets`: a simulated device over `wss` (TLS, the
/// default hub) and a generic client over `ws` (`tls: false`), against the same simulated hub,
/// with their packets in the record as MQTT.
@Suite struct WebSocketDeviceRunTests {
    let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, deadlineScale: 3))

    @Test(
        "a simulated device and a client connect over WebSockets, subscribe and get C2D; the trace holds their packets as MQTT",
        arguments: [
            ("{ kind: simulated }", "{ id: ws-device, profile: sdk, transport: websockets }"),
            ("{ kind: simulated, tls: false }", "{ id: ws-client, kind: client, transport: websockets }"),
        ]
    )
    func receivesC2D(hub: String, device: String) async throws {
        let id = device.contains("ws-client") ? "ws-client" : "ws-device"
        let yaml = """
            hub: \(hub)
            device: \(device)
            steps:
              - connect: { clean_session: false }
              - expect: { connack: accepted, within: 2s }
              - subscribe: devices/\(id)/messages/devicebound/#
              - send: "on"
              - expect: { packet: PUBLISH, within: 2s }
            """
        let result = await runner.run(try ScenarioLoader.load(yaml: yaml, path: "\(id).yaml"))
        #expect(result.isPassed, "\(result.steps.map { "\($0.step.number) \($0.status)" })")
        let packets = result.entries.compactMap { entry -> PacketObservation? in
            if case .packet(let observation) = entry.event { observation } else { nil }
        }
        // Each device's packets are recorded once, at its own codec (the run's rule).
        #expect(packets.contains { if case .connect = $0.record.packet { $0.record.direction == .outbound } else { false } }, "\(packets)")
        #expect(packets.contains { if case .publish = $0.record.packet { $0.record.direction == .inbound } else { false } }, "\(packets)")
    }

    @Test("transport: websockets on a broker target is refused with the reason")
    func refusedOnBroker() async throws {
        let yaml = """
            hub: { url: "mqtt://127.0.0.1:1" }
            device: { id: ws-client, kind: client, transport: websockets }
            steps:
              - connect: { clean_session: true }
            """
        let result = await runner.run(try ScenarioLoader.load(yaml: yaml, path: "broker.yaml"))
        #expect(!result.isPassed)
        #expect("\(result)".contains("transport: websockets"), "\(result)")
    }

    @Test("transport: an unknown value is a load error naming the choices")
    func unknownTransport() throws {
        let yaml = """
            hub: simulated
            device: { id: d, transport: websocket }
            steps:
              - connect: { clean_session: true }
            """
        #expect(throws: (any Error).self) { try ScenarioLoader.load(yaml: yaml, path: "bad.yaml") }
        do {
            _ = try ScenarioLoader.load(yaml: yaml, path: "bad.yaml")
        } catch {
            #expect("\(error)".contains("bad.yaml:2"), "\(error)")
            #expect("\(error)".contains("websockets"), "\(error)")
        }
    }
}
