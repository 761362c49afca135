import Devices
import HarnessTestSupport
import IoTHubCore
import MQTTClientCore
import MQTTCore
import NIOCore
import NIOPosix
import Testing

/// A broker that speaks MQTT 5.0 through the harness's codec and answers each packet it
/// receives with what its script says: for what no real broker here does on demand (an
/// oversized packet, enhanced authentication, a redirection).
final class ScriptedBroker: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = MQTTPacket
    typealias OutboundOut = MQTTPacket

    let script: @Sendable (MQTTPacket) -> [MQTTPacket]

    init(script: @escaping @Sendable (MQTTPacket) -> [MQTTPacket]) {
        self.script = script
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        for reply in script(unwrapInboundIn(data)) { context.write(wrapOutboundOut(reply), promise: nil) }
        context.flush()
    }

    /// Runs `body` with the port of a scripted broker on loopback.
    static func run(_ script: @escaping @Sendable (MQTTPacket) -> [MQTTPacket], _ body: (Int) async throws -> Void) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(MQTTCodecHandler(configuration: .init(protocolVersion: .v5)))
                    try channel.pipeline.syncOperations.addHandler(ScriptedBroker(script: script))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        do {
            try await body(server.localAddress?.port ?? 0)
        } catch {
            try? await server.close()
            throw error
        }
        try await server.close()
    }
}

/// The 5.0 generic client over a real socket against a scripted broker: the driver's codec
/// speaks 5.0 with the client's maximum packet size, and the engine's AUTH and DISCONNECT
/// handling reach the device's events.
@Suite struct GenericClientScriptedBrokerTests {
    let group = MultiThreadedEventLoopGroup.singleton

    func client(_ authentication: AuthenticationPolicy? = nil) -> (GenericClient, EventLog, PacketLog) {
        let events = EventLog()
        let packets = PacketLog()
        let settings = GenericClientSettings(protocolVersion: .v5, authentication: authentication)
        return (GenericClient(id: HubBench.id("c"), settings: settings, group: group, observer: events.observer, tap: packets), events, packets)
    }

    func request(_ port: Int, _ properties: [MQTTProperty]) -> ConnectRequest {
        var request = ConnectRequest(host: "127.0.0.1", port: port, clientID: "c", cleanSession: true, keepAlive: 60)
        request.properties = (try? MQTTProperties(properties)) ?? MQTTProperties()
        return request
    }

    @Test("a PUBLISH above the client's maximum_packet_size: the client answers DISCONNECT 0x95 and closes")
    func oversizedPacket() async throws {
        try await ScriptedBroker.run({ packet in
            guard case .connect = packet else { return [] }
            let large = PublishPacket(topic: topicName("big"), payload: ByteBuffer(string: String(repeating: "x", count: 300)))
            return [.connack(ConnAckPacket(reasonCode: .success)), .publish(large)]
        }) { (port: Int) async throws in
            let (device, events, packets) = client()
            defer { Task { await device.shutdown() } }
            #expect(try await device.connect(request(port, [.maximumPacketSize(100)])) == .answered)
            let closed = await events.wait { if case .disconnected = $0 { true } else { false } }
            guard case .disconnected(let reason)? = closed else { return }
            #expect(reason.hasPrefix("the client closed the connection because the broker sent a malformed packet"))
            #expect(packets.all.contains { $0.direction == .outbound && $0.packet == .disconnect(DisconnectPacket(reasonCode: .packetTooLarge)) })
            #expect(!events.all.contains { if case .messageReceived = $0 { true } else { false } })
        }
    }

    @Test("enhanced authentication over the wire: the broker's challenge is answered from the settings, then CONNACK")
    func authentication() async throws {
        try await ScriptedBroker.run({ packet in
            let method = MQTTProperty.authenticationMethod("TOKEN-2")
            switch packet {
            case .connect:
                return [.auth(AuthPacket(reasonCode: .continueAuthentication, properties: (try? MQTTProperties([method, .authenticationData(ByteBuffer(string: "challenge"))])) ?? .none))]
            case .auth(let auth):
                let answer = auth.properties.first(.authenticationData)
                return [.connack(ConnAckPacket(reasonCode: answer == .authenticationData(ByteBuffer(string: "response")) ? .success : .notAuthorized))]
            default:
                return []
            }
        }) { (port: Int) async throws in
            let (device, _, packets) = client(AuthenticationPolicy(responses: [ByteBuffer(string: "response")]))
            defer { Task { await device.shutdown() } }
            #expect(try await device.connect(request(port, [.authenticationMethod("TOKEN-2")])) == .answered)
            #expect(packets.all.map { "\($0.direction == .outbound ? ">" : "<") \($0.packet.type)" } == ["> CONNECT", "< AUTH", "> AUTH", "< CONNACK"])
        }
    }

    @Test("DISCONNECT session_taken_over (0x8E), as a broker that sends it does: the device reports it in words, and a waiting publish ends with it")
    func sessionTakenOver() async throws {
        try await ScriptedBroker.run({ packet in
            switch packet {
            case .connect: return [.connack(ConnAckPacket(reasonCode: .success))]
            case .publish: return [.disconnect(DisconnectPacket(reasonCode: .sessionTakenOver))]
            default: return []
            }
        }) { (port: Int) async throws in
            let (device, events, _) = client()
            defer { Task { await device.shutdown() } }
            #expect(try await device.connect(request(port, [])) == .answered)
            let outcome = try await device.publish(PublishRequest(topic: topicName("t"), payload: ByteBuffer(string: "x"), qos: .atLeastOnce))
            #expect(outcome == .connectionEnded(reason: "the broker disconnected: session_taken_over (0x8E)"))
            let closed = await events.wait { if case .disconnected = $0 { true } else { false } }
            #expect(closed == .disconnected(reason: "the broker disconnected: session_taken_over (0x8E)"))
        }
    }

    @Test("a PUBACK, PUBREC or UNSUBACK with a failure code makes the outcome a refusal naming it; success codes (0x10, 0x11) are answers")
    func refusedAcknowledgements() async throws {
        try await ScriptedBroker.run({ packet in
            switch packet {
            case .connect: return [.connack(ConnAckPacket(reasonCode: .success))]
            case .publish(let publish) where publish.topic.string == "quota":
                return [.puback(PublishAckPacket(packetID: publish.packetID ?? 0, reasonCode: .quotaExceeded))]
            case .publish(let publish) where publish.qos == .exactlyOnce:
                return [.pubrec(PublishAckPacket(packetID: publish.packetID ?? 0, reasonCode: .notAuthorized))]
            case .publish(let publish):
                return [.puback(PublishAckPacket(packetID: publish.packetID ?? 0, reasonCode: .noMatchingSubscribers))]
            case .unsubscribe(let unsubscribe):
                return [.unsuback(UnsubAckPacket(packetID: unsubscribe.packetID, reasonCodes: [.noSubscriptionExisted, .notAuthorized]))]
            default: return []
            }
        }) { (port: Int) async throws in
            let (device, _, packets) = client()
            defer { Task { await device.shutdown() } }
            #expect(try await device.connect(request(port, [])) == .answered)
            let message = { (topic: String, qos: MQTTQoS) in PublishRequest(topic: topicName(topic), payload: ByteBuffer(string: "x"), qos: qos) }
            #expect(try await device.publish(message("quota", .atLeastOnce)).refusal == "refused: quota_exceeded (0x97)")
            #expect(try await device.publish(message("nobody", .atLeastOnce)) == .answered)
            #expect(try await device.publish(message("secret", .exactlyOnce)).refusal == "refused: not_authorized (0x87)")
            #expect(!packets.all.contains { $0.packet.type == .pubrel })
            let unsubscribe = UnsubscribeRequest(filters: [topicFilter("a"), topicFilter("b")])
            #expect(try await device.unsubscribe(unsubscribe).refusal == "refused: not_authorized (0x87)")
        }
    }

    @Test("a redirection: DISCONNECT 0x9C with a server reference is reported as a redirection, and not followed")
    func redirection() async throws {
        try await ScriptedBroker.run({ packet in
            guard case .connect = packet else { return [] }
            let moved = DisconnectPacket(reasonCode: .useAnotherServer, properties: (try? MQTTProperties([.serverReference("mqtt.example:1883")])) ?? .none)
            return [.connack(ConnAckPacket(reasonCode: .success)), .disconnect(moved)]
        }) { (port: Int) async throws in
            let (device, events, _) = client()
            defer { Task { await device.shutdown() } }
            #expect(try await device.connect(request(port, [])) == .answered)
            let closed = await events.wait { if case .disconnected = $0 { true } else { false } }
            #expect(closed == .disconnected(reason: "the broker disconnected: use_another_server (0x9C); it redirected the client to \"mqtt.example:1883\" (not followed)"))
            try await Task.sleep(for: .milliseconds(100))
            #expect(events.count { if case .connecting = $0 { true } else { false } } == 1)
        }
    }
}
