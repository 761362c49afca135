import HarnessTestSupport
import IoTHubCore
@testable import IoTHubSimulation
@testable import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import Testing

/// What a client that never authenticates may hold: one CONNECT's worth of bytes, and one of
/// a limited number of places.
@Suite struct PendingConnectionTests {
    func withHub(_ configuration: HubConfiguration, _ body: (SimulatedHub, Int) async throws -> Void) async throws {
        let hub = SimulatedHub(
            configuration: configuration,
            registry: DeviceRegistry(devices: [DeviceRecord(id: HubFixtures.deviceID, primaryKey: HubFixtures.key)]),
            group: MultiThreadedEventLoopGroup.singleton,
            clock: HubClock(start: HubFixtures.start),
            connections: .separateLoop
        )
        let port = try await hub.start(port: 0)
        do { try await body(hub, port) } catch {
            await hub.stop()
            throw error
        }
        await hub.stop()
    }

    @Test("a CONNECT announcing more than the CONNECT limit is closed from its fixed header, its body never read")
    func connectTooLarge() async throws {
        try await withHub(HubConfiguration(hostName: HubFixtures.hostName, maximumConnectPacketSize: 1024)) { hub, port in
            let client = try await RawSocketClient.connect(port: port)
            // CONNECT announcing 266,236 bytes, then the start of it.
            await client.write(Hex.bytes("10 fc9f10 0004 4d515454 04 c2 003c"))
            #expect(await client.waitForClose(timeout: .seconds(2)))
            #expect(client.received.isEmpty)
            // An ordinary CONNECT still gets in.
            let device = try await MQTTTestClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
            try await device.send(.connect(HubFixtures.connect()))
            #expect(await device.receive() == .connack(ConnAckPacket(returnCode: .accepted)))
            await device.close()
        }
    }

    @Test("idle connections at the pending limit cannot lock a device out: after the eviction age the oldest makes room")
    func evictionOnTheWire() async throws {
        try await withHub(HubConfiguration(hostName: HubFixtures.hostName, maximumPendingConnections: 5, pendingEvictionAge: .milliseconds(200))) { hub, port in
            var idle: [RawSocketClient] = []
            for _ in 0..<5 { idle.append(try await RawSocketClient.connect(port: port)) }
            for _ in 0..<200 where try await hub.pendingConnectionCount() < 5 { try await Task.sleep(for: .milliseconds(5)) }
            try await Task.sleep(for: .milliseconds(300))
            // A device arrives while five idle connections hold every place: the oldest goes.
            let device = try await MQTTTestClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
            try await device.send(.connect(HubFixtures.connect()))
            #expect(await device.receive() == .connack(ConnAckPacket(returnCode: .accepted)))
            #expect(await idle[0].waitForClose(timeout: .seconds(2)))
            for client in idle.dropFirst() { #expect(!client.isClosed) }
            await device.close()
            for client in idle { await client.close() }
        }
    }

    @Test("connections beyond the pending limit are closed at once while the waiting ones are young; a device still gets in once places free up")
    func pendingLimitOnTheWire() async throws {
        try await withHub(HubConfiguration(hostName: HubFixtures.hostName, maximumPendingConnections: 5, pendingEvictionAge: .seconds(60))) { hub, port in
            var idle: [RawSocketClient] = []
            for _ in 0..<5 { idle.append(try await RawSocketClient.connect(port: port)) }
            // Wait until the hub has counted them all.
            for _ in 0..<200 where try await hub.pendingConnectionCount() < 5 { try await Task.sleep(for: .milliseconds(5)) }
            let extra = try await RawSocketClient.connect(port: port)
            #expect(await extra.waitForClose(timeout: .seconds(2)))
            for client in idle { #expect(!client.isClosed) }
            await idle[0].close()
            for _ in 0..<200 where try await hub.pendingConnectionCount() > 4 { try await Task.sleep(for: .milliseconds(5)) }
            let device = try await MQTTTestClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
            try await device.send(.connect(HubFixtures.connect()))
            #expect(await device.receive() == .connack(ConnAckPacket(returnCode: .accepted)))
            await device.close()
            for client in idle { await client.close() }
        }
    }
}
