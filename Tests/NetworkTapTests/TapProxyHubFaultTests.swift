import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import NetworkTap
import Testing

/// Faults between an MQTT client and the simulated hub, through the tap proxy: over TLS the
/// proxy passes the bytes through untouched (no tap), and every client must reassemble packets.
@Suite struct TapProxyHubFaultTests {
    let group = MultiThreadedEventLoopGroup.singleton

    /// A hub on `listeners`, a proxy (no tap) in front of its TLS port, or its plain one.
    func withHubAndProxy(tls: Bool, _ body: (TapProxy, Int, MQTTTestClient.TLS?) async throws -> Void) async throws {
        let hub = SimulatedHub(
            configuration: HubConfiguration(hostName: HubFixtures.hostName),
            registry: DeviceRegistry(devices: [DeviceRecord(id: HubFixtures.deviceID, primaryKey: HubFixtures.key)]),
            group: group,
            clock: HubClock(start: HubFixtures.start)
        )
        let endpoints = try await hub.start(tls ? HubListeners() : HubListeners(tls: nil, plainPort: 0))
        let upstream = try #require(tls ? endpoints.tlsPort : endpoints.plainPort)
        let proxy = TapProxy(upstreamHost: "127.0.0.1", upstreamPort: upstream, group: group, tap: nil)
        let port = try await proxy.start()
        let clientTLS = tls ? MQTTTestClient.TLS(trustedCAPath: endpoints.caCertificatePath, serverHostname: "localhost") : nil
        do {
            try await body(proxy, port, clientTLS)
        } catch {
            await proxy.stop()
            await hub.stop()
            throw error
        }
        await proxy.stop()
        await hub.stop()
    }

    func connect(port: Int, tls: MQTTTestClient.TLS?) async throws -> (MQTTTestClient, MQTTPacket?) {
        let client = try await MQTTTestClient.connect(port: port, group: group, tls: tls)
        try await client.send(.connect(HubFixtures.connect(cleanSession: true)))
        return (client, await client.receive(timeout: .seconds(10)))
    }

    @Test("TLS passes through the proxy untouched: the client's handshake is with the hub, and it gets its CONNACK")
    func tlsPassthrough() async throws {
        try await withHubAndProxy(tls: true) { _, port, tls in
            let (client, answer) = try await connect(port: port, tls: tls)
            #expect(answer == .connack(ConnAckPacket(returnCode: .accepted)), "\(String(describing: client.lastError))")
            #expect(await client.negotiatedTLSVersion() != nil)
            await client.close()
        }
    }

    @Test("TLS under a delay with jitter and 16-byte slices both ways still completes the handshake and CONNECT")
    func tlsShaped() async throws {
        try await withHubAndProxy(tls: true) { proxy, port, tls in
            try await proxy.apply(.delay(.milliseconds(20), jitter: .milliseconds(10)))
            try await proxy.apply(.slice(bytes: 16))
            let (client, answer) = try await connect(port: port, tls: tls)
            #expect(answer == .connack(ConnAckPacket(returnCode: .accepted)), "\(String(describing: client.lastError))")
            await client.close()
        }
    }

    @Test("slices of 1 byte both ways: the hub still decodes CONNECT and the client reassembles its CONNACK")
    func sliceOneByte() async throws {
        try await withHubAndProxy(tls: false) { proxy, port, _ in
            let outcome = try await proxy.apply(.slice(bytes: 1))
            #expect(outcome.connectionsShaped == 0)
            let (client, answer) = try await connect(port: port, tls: nil)
            #expect(answer == .connack(ConnAckPacket(returnCode: .accepted)))
            try await client.send(.pingreq)
            #expect(await client.receive(timeout: .seconds(10)) == .pingresp)
            await client.close()
        }
    }

    @Test("drop over TLS: the client loses its connection and can connect again")
    func dropOverTLS() async throws {
        try await withHubAndProxy(tls: true) { proxy, port, tls in
            let (client, answer) = try await connect(port: port, tls: tls)
            #expect(answer == .connack(ConnAckPacket(returnCode: .accepted)))
            let outcome = try await proxy.apply(.drop)
            #expect(outcome.connectionsReset == 1)
            #expect(await client.waitForClose(timeout: .seconds(5)))
            let (again, second) = try await connect(port: port, tls: tls)
            #expect(second == .connack(ConnAckPacket(returnCode: .accepted)))
            await again.close()
        }
    }

    @Test("a blackhole on an MQTT connection: PINGREQ gets no answer while it lasts, and its PINGRESP after the heal")
    func blackholePing() async throws {
        try await withHubAndProxy(tls: false) { proxy, port, _ in
            let (client, answer) = try await connect(port: port, tls: nil)
            #expect(answer == .connack(ConnAckPacket(returnCode: .accepted)))
            try await proxy.apply(.blackhole)
            try await client.send(.pingreq)
            #expect(await client.receive(timeout: .milliseconds(500)) == nil)
            await proxy.heal()
            #expect(await client.receive(timeout: .seconds(5)) == .pingresp)
            await client.close()
        }
    }
}
