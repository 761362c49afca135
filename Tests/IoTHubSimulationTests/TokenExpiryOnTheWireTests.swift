import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import Testing

/// The same policy on a real socket, with packets pipelined behind the CONNECT as an attacker
/// (or a hurried client) sends them.
@Suite struct TokenExpiryOnTheWireTests {
    static let group = MultiThreadedEventLoopGroup.singleton

    func withHub(at now: HubTime, _ body: (SimulatedHub, Int) async throws -> Void) async throws {
        let hub = SimulatedHub(
            configuration: HubConfiguration(hostName: HubFixtures.hostName),
            registry: DeviceRegistry(devices: [DeviceRecord(id: HubFixtures.deviceID, primaryKey: HubFixtures.key)]),
            group: Self.group,
            // Hub time stands still but for the test's jumps, so the boundaries are exact
            // however slow the machine is.
            clock: HubClock(start: now, monotonic: ManualMonotonicClock())
        )
        let port = try await hub.start(port: 0)
        do { try await body(hub, port) } catch {
            await hub.stop()
            throw error
        }
        await hub.stop()
    }

    /// CONNECT, SUBSCRIBE and a QoS 1 telemetry PUBLISH in one write.
    static func pipelined(expiry: Int64) throws -> [UInt8] {
        var bytes = try MQTTPacket.connect(HubFixtures.connect(expiry: expiry)).encoded()
        var subscribe = try MQTTPacket.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: HubFixtures.deviceboundFilter, qos: .atLeastOnce)])).encoded()
        var publish = try MQTTPacket.publish(
            PublishPacket(topic: topicName("devices/esp8266/messages/events/"), payload: ByteBuffer(string: "t"), qos: .atLeastOnce, packetID: 2)
        ).encoded()
        bytes.writeBuffer(&subscribe)
        bytes.writeBuffer(&publish)
        return Array(bytes.readableBytesView)
    }

    @Test("a token 301 s past expiry: CONNACK 5 and a close; nothing pipelined behind it runs, no queued C2D leaks")
    func refusedPipelined() async throws {
        let se = HubFixtures.start.unixSeconds
        try await withHub(at: HubTime(unixSeconds: se + 301)) { hub, port in
            _ = try await hub.sendCloudToDevice(CloudToDeviceMessage(payload: ByteBuffer(string: "secret-command")), to: HubFixtures.deviceID)
            let client = try await MQTTTestClient.connect(port: port, group: Self.group)
            try await client.sendRaw(try Self.pipelined(expiry: se))
            #expect(await client.receive() == .connack(ConnAckPacket(returnCode: .notAuthorized)))
            #expect(await client.receive(timeout: .milliseconds(300)) == nil)
            #expect(await client.waitForClose())
            #expect(try await hub.queueDepth(of: HubFixtures.deviceID) == 1)
        }
    }

    @Test("a token 299 s past expiry: accepted, the pipelined packets are answered, and the connection stays up")
    func acceptedPipelined() async throws {
        let se = HubFixtures.start.unixSeconds
        try await withHub(at: HubTime(unixSeconds: se + 299)) { hub, port in
            let client = try await MQTTTestClient.connect(port: port, group: Self.group)
            try await client.sendRaw(try Self.pipelined(expiry: se))
            #expect(await client.receive() == .connack(ConnAckPacket(returnCode: .accepted)))
            #expect(await client.receive() == .suback(SubAckPacket(packetID: 1, returnCodes: [.granted(.atLeastOnce)])))
            #expect(await client.receive() == .puback(packetID: 2))
            // Still connected well after the CONNECT: no drop for the token inside the grace.
            #expect(await client.waitForClose(timeout: .milliseconds(300)) == false)
            #expect(try await hub.isConnected(HubFixtures.deviceID))
            // Still up at se + 600 s; dropped at se + 601 s.
            try await hub.advanceClock(by: .seconds(301))
            #expect(try await hub.isConnected(HubFixtures.deviceID))
            try await hub.advanceClock(by: .seconds(1))
            #expect(await client.waitForClose())
        }
    }

    @Test("a token whose se is the largest 64-bit number: accepted, answered, and the connection lives on as the hub's clock jumps")
    func largestExpiry() async throws {
        try await withHub(at: HubFixtures.start) { hub, port in
            let client = try await MQTTTestClient.connect(port: port, group: Self.group)
            try await client.sendRaw(try Self.pipelined(expiry: .max))
            #expect(await client.receive() == .connack(ConnAckPacket(returnCode: .accepted)))
            #expect(await client.receive() == .suback(SubAckPacket(packetID: 1, returnCodes: [.granted(.atLeastOnce)])))
            #expect(await client.receive() == .puback(packetID: 2))
            // Each jump stays inside the keep-alive cap (1,767 s); a ping between them keeps
            // the connection alive, so only the token could end it, and it never does.
            for _ in 0..<5 {
                try await hub.advanceClock(by: .seconds(1700))
                try await client.send(.pingreq)
                #expect(await client.receive() == .pingresp)
            }
            #expect(try await hub.isConnected(HubFixtures.deviceID))
        }
    }
}
