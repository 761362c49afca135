import Foundation
import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import NetworkTap
import Synchronization
import Testing

/// The tap proxy between a real client and a real server over loopback.
@Suite struct TapProxyTests {
    final class Records: PacketTap {
        let records = Mutex<[PacketRecord]>([])
        let events = Mutex<[TapProxy.Event]>([])
        let proxy = Mutex<TapProxy?>(nil)
        func record(_ record: PacketRecord) { records.withLock { $0.append(record) } }
        var all: [PacketRecord] { records.withLock { $0 } }
    }

    static let deviceID = HubFixture.deviceID
    static let key = DeviceKey(bytes: Array(repeating: 9, count: 32))

    func withHubAndProxy(_ body: (SimulatedHub, Int, Records) async throws -> Void) async throws {
        let hub = SimulatedHub(
            configuration: HubConfiguration(hostName: "tap.azure-devices.net"),
            registry: DeviceRegistry(devices: [DeviceRecord(id: Self.deviceID, primaryKey: Self.key)]),
            group: MultiThreadedEventLoopGroup.singleton
        )
        let hubPort = try await hub.start()
        let records = Records()
        let proxy = TapProxy(
            upstreamHost: "127.0.0.1",
            upstreamPort: hubPort,
            group: MultiThreadedEventLoopGroup.singleton,
            tap: records,
            observer: { event in records.events.withLock { $0.append(event) } }
        )
        let port = try await proxy.start()
        records.proxy.withLock { $0 = proxy }
        do {
            try await body(hub, port, records)
        } catch {
            await proxy.stop()
            await hub.stop()
            throw error
        }
        await proxy.stop()
        await hub.stop()
    }

    func connectPacket() -> MQTTPacket {
        let token = SASToken.make(resource: "tap.azure-devices.net/devices/tapped", key: Self.key, expiry: Int64(Date().timeIntervalSince1970) + 3600)
        return .connect(ConnectPacket(clientID: "tapped", cleanSession: true, keepAlive: 60, username: "tap.azure-devices.net/tapped/?api-version=2021-04-12", password: ByteBuffer(string: token.rendered)))
    }

    @Test("packets pass through unchanged and are recorded both ways, with their bytes")
    func passThrough() async throws {
        try await withHubAndProxy { hub, port, records in
            let client = try await MQTTTestClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
            try await client.send(connectPacket())
            #expect(await client.receive() == .connack(ConnAckPacket(returnCode: .accepted)))
            try await client.send(.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: topicFilter("devices/tapped/messages/devicebound/#"), qos: .atLeastOnce)])))
            #expect(await client.receive() == .suback(SubAckPacket(packetID: 1, returnCodes: [.granted(.atLeastOnce)])))
            try await hub.sendCloudToDevice(CloudToDeviceMessage(payload: ByteBuffer(string: "on")), to: Self.deviceID)
            guard case .publish(let publish) = await client.receive() else {
                Issue.record("no PUBLISH through the proxy")
                return
            }
            try await client.send(.puback(packetID: try #require(publish.packetID)))
            try await client.send(.disconnect)
            #expect(await client.waitForClose())
            try await Task.sleep(for: .milliseconds(50))
            let seen = records.all
            #expect(seen.map(\.packet.type) == [.connect, .connack, .subscribe, .suback, .publish, .puback, .disconnect])
            #expect(seen.map(\.direction) == [.outbound, .inbound, .outbound, .inbound, .inbound, .outbound, .outbound])
            #expect(seen.allSatisfy { $0.bytes.readableBytes == $0.size })
            #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp })
            #expect(records.events.withLock { $0 }.contains(.opened(connection: 1)))
        }
    }

    @Test("under a delay toward the device the tap stamps packets to the device as they leave the proxy, so the delay shows")
    func tapSeesDelay() async throws {
        try await withHubAndProxy { _, port, records in
            let proxy = try #require(records.proxy.withLock { $0 })
            try await proxy.apply(.delay(.milliseconds(200), directions: .toDevice))
            let client = try await MQTTTestClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
            try await client.send(connectPacket())
            #expect(await client.receive() == .connack(ConnAckPacket(returnCode: .accepted)))
            let seen = records.all
            #expect(seen.map(\.packet.type) == [.connect, .connack])
            if seen.count == 2 {
                #expect(seen[1].timestamp - seen[0].timestamp >= 200_000_000)
            }
        }
    }

    @Test("bytes that are not MQTT still pass through; the tap reports them once")
    func malformedPassThrough() async throws {
        try await withHubAndProxy { _, port, records in
            let client = try await MQTTTestClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
            try await client.sendRaw(Hex.bytes("f0 00"))
            // The hub sees the reserved packet type and closes: the bytes went through.
            #expect(await client.waitForClose())
            try await Task.sleep(for: .milliseconds(50))
            #expect(records.events.withLock { $0 }.contains { if case .malformed(_, .outbound, _) = $0 { true } else { false } })
            #expect(records.all.isEmpty)
        }
    }

    @Test("an unreachable broker closes the device's connection and says why")
    func unreachableUpstream() async throws {
        let records = Records()
        let proxy = TapProxy(upstreamHost: "127.0.0.1", upstreamPort: 1, group: MultiThreadedEventLoopGroup.singleton, tap: records, observer: { event in records.events.withLock { $0.append(event) } })
        let port = try await proxy.start()
        let client = try await MQTTTestClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
        #expect(await client.waitForClose())
        #expect(records.events.withLock { $0 }.contains { if case .upstreamFailed = $0 { true } else { false } })
        await proxy.stop()
    }
}

enum HubFixture {
    static let deviceID: DeviceID = {
        do { return try DeviceID("tapped") } catch { preconditionFailure("\(error)") }
    }()
}
