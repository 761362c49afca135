import Devices
import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTClientCore
import MQTTCore
import NIOCore
import NIOPosix
import Testing

/// The profiles against the real simulated hub over loopback: token expiry, reconnects,
/// renewal and pings as the hub sees them.
@Suite struct SimulatedProfileHubTests {
    func device(_ profile: DeviceProfile, bench: HubBench, settings: ClientSettings = ClientSettings(), tokens: (any TokenSource)? = nil) -> SimulatedDevice {
        SimulatedDevice(
            id: HubBench.deviceID,
            profile: profile,
            settings: settings,
            group: MultiThreadedEventLoopGroup.singleton,
            wallClock: bench.wallClock,
            tokenSource: tokens ?? bench.mintedTokens(),
            observer: bench.events.observer,
            tap: bench.packets
        )
    }

    var connects: @Sendable (PacketRecord) -> ConnectPacket? {
        { record in
            if case .connect(let packet) = record.packet, record.direction == .outbound { return packet }
            return nil
        }
    }

    @Test("umqtt-simple: the hub drops it when its token expires, and the program stops")
    func simpleExpiry() async throws {
        let bench = try await HubBench.start()
        let device = device(.umqttSimple, bench: bench)
        #expect(try await device.connect(bench.request()) == .answered)
        // Past the token's expiry and the hub's grace: dropped for the token.
        #expect(try await bench.hub.expireToken(of: HubBench.deviceID) != nil)
        #expect(await bench.hubEvents.wait { if case .disconnected(_, _, .tokenExpired) = $0 { true } else { false } } != nil)
        #expect(await bench.events.wait { $0 == .crashed(reason: "OSError: -1 (connection closed in wait_msg)") } != nil)
        try await bench.send("on")
        try await Task.sleep(for: .milliseconds(100))
        #expect(bench.events.all.contains { $0.isLEDOn } == false)
        #expect(try await bench.hub.queueDepth(of: HubBench.deviceID) == 1)
        await device.shutdown()
        await bench.stop()
    }

    @Test("umqtt-robust: after the token expires it reconnects at once with a fresh token and clean session 0, and gets the queued C2D")
    func robustRecovers() async throws {
        let bench = try await HubBench.start()
        let device = device(.umqttRobust, bench: bench)
        #expect(try await device.connect(bench.request()) == .answered)
        #expect(try await device.subscribe(to: HubBench.filter, qos: .atLeastOnce) == .answered)
        // Past the token's expiry and the hub's grace: dropped for the token.
        #expect(try await bench.hub.expireToken(of: HubBench.deviceID) != nil)
        #expect(await bench.hubEvents.wait { if case .disconnected(_, _, .tokenExpired) = $0 { true } else { false } } != nil)
        #expect(await eventually { bench.hubEvents.count { if case .connected = $0 { true } else { false } } == 2 }, "\(bench.hubEvents.all)\n\(bench.events.all)")
        try await bench.send("on")
        #expect(await bench.events.wait { $0.isLEDOn } != nil, "\(bench.hubEvents.all)\n\(bench.events.all)")
        let sent = bench.packets.all.compactMap(connects)
        #expect(sent.count == 2)
        #expect(sent.last?.cleanSession == false)
        #expect(sent.first?.password != sent.last?.password)
        // No second SUBSCRIBE: robust relies on the persistent session.
        #expect(bench.packets.all.filter { if case .subscribe = $0.packet { true } else { false } }.count == 1)
        #expect(bench.events.all.contains(.reconnecting(attempt: 1)))
        await device.shutdown()
        await bench.stop()
    }

    @Test("umqtt-robust with a fixed token: the reconnect is refused with CONNACK 5 and the program stops")
    func robustFixedTokenExpires() async throws {
        let bench = try await HubBench.start()
        let fixed = FixedTokenSource(bench.mintedTokens(ttl: .seconds(600)).mint().password)
        let device = device(.umqttRobust, bench: bench, tokens: fixed)
        #expect(try await device.connect(bench.request()) == .answered)
        // Past the expiry and the 10-minute grace, so past the 5-minute clock skew the hub
        // allows at CONNECT too.
        #expect(try await bench.hub.expireToken(of: HubBench.deviceID) != nil)
        #expect(await bench.events.wait { $0 == .crashed(reason: "MQTTException(5)") } != nil)
        await device.shutdown()
        await bench.stop()
    }

    @Test("sdk: renews its token before expiry by DISCONNECT and CONNECT with a new token, clean session 0")
    func sdkRenews() async throws {
        let bench = try await HubBench.start()
        let device = device(.sdk, bench: bench, settings: ClientSettings(sendsPings: false, renewalMargin: .seconds(2)), tokens: bench.mintedTokens(ttl: .seconds(3)))
        #expect(try await device.connect(bench.request(keepAlive: 60)) == .answered)
        #expect(await bench.events.wait(timeout: .seconds(5)) { $0 == .renewingToken } != nil)
        #expect(await bench.hubEvents.wait { if case .disconnected(_, _, .clientDisconnected) = $0 { true } else { false } } != nil)
        let connects = self.connects
        #expect(await eventually { bench.packets.all.compactMap(connects).count >= 2 })
        let sent = bench.packets.all.compactMap(connects)
        #expect(sent[1].cleanSession == false)
        #expect(sent[0].password != sent[1].password)
        #expect(bench.packets.all.contains { $0.packet == .pingreq } == false)
        await device.shutdown()
        await bench.stop()
    }

    @Test("sdk: PINGREQ within its keep-alive, answered by the hub's PINGRESP")
    func sdkPings() async throws {
        let bench = try await HubBench.start()
        let device = device(.sdk, bench: bench)
        #expect(try await device.connect(bench.request(keepAlive: 1)) == .answered)
        #expect(await eventually(timeout: .seconds(5)) { bench.packets.all.contains { $0.packet == .pingresp } })
        let pings = bench.packets.all.filter { $0.packet == .pingreq && $0.direction == .outbound }
        let connect = try #require(bench.packets.all.first { if case .connect = $0.packet { true } else { false } })
        let first = try #require(pings.first)
        #expect(first.timestamp - connect.timestamp >= 900_000_000)
        #expect(first.timestamp - connect.timestamp < 2_000_000_000)
        await device.shutdown()
        await bench.stop()
    }

    @Test("a device that gets its tokens from a token service connects with them")
    func tokenServiceDevice() async throws {
        let bench = try await HubBench.start()
        let clock = bench.wallClock
        let service = try await TokenServiceDouble.start(
            hostName: HubBench.hostName,
            functionKey: "function-key",
            devices: [HubBench.deviceID: HubBench.key],
            now: { clock.unixSeconds() },
            group: MultiThreadedEventLoopGroup.singleton
        )
        let tokens = TokenServiceSource(
            endpoint: try TokenServiceEndpoint(url: service.url),
            functionKey: "function-key",
            deviceID: HubBench.deviceID,
            ttl: .seconds(600),
            group: MultiThreadedEventLoopGroup.singleton
        )
        let device = device(.umqttRobust, bench: bench, tokens: tokens)
        #expect(try await device.connect(bench.request()) == .answered)
        #expect(bench.events.all.compactMap(\.connAckCode) == [.accepted])
        #expect(service.requestCount == 1)
        await device.shutdown()
        await service.stop()
        await bench.stop()
    }
}
