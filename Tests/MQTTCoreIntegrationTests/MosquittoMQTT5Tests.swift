import HarnessTestSupport
import MQTTCore
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// Our MQTT 5.0 codec against a real MQTT 5.0 broker, Mosquitto 2.0, on a loopback port: a
/// plain NIO channel with ``MQTTCodecHandler`` configured for 5.0. Every byte Mosquitto sends
/// must decode, and properties, reason codes and subscription options must work as the
/// standard says.
@Suite(.serialized) struct MosquittoMQTT5Tests {
    /// Keeps what a connection receives.
    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = MQTTPacket
        let packets = Mutex<[MQTTPacket]>([])
        let errors = Mutex<[String]>([])
        let closed = Mutex(false)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let packet = unwrapInboundIn(data)
            packets.withLock { $0.append(packet) }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            errors.withLock { $0.append("\(error)") }
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            closed.withLock { $0 = true }
        }

        /// Waits for the first packet after `skipping` that `matches`, and removes it.
        func next(timeout: Duration = .seconds(5), where matches: (MQTTPacket) -> Bool = { _ in true }) async -> MQTTPacket? {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                let found: MQTTPacket? = packets.withLock { list in
                    guard let index = list.firstIndex(where: matches) else { return nil }
                    return list.remove(at: index)
                }
                if let found { return found }
                try? await Task.sleep(for: .milliseconds(5))
            }
            return nil
        }
    }

    struct Client {
        let channel: any Channel
        let collector: Collector

        func send(_ packet: MQTTPacket) async throws { try await channel.writeAndFlush(packet) }
        func sendRaw(_ hex: String) async throws {
            // Past the codec: the handler encodes packets only, so write below it.
            try await channel.pipeline.context(handlerType: MQTTCodecHandler.self).flatMap { context in
                context.writeAndFlush(NIOAny(ByteBuffer(bytes: Hex.bytes(hex))))
            }.get()
        }
    }

    let group = MultiThreadedEventLoopGroup.singleton

    func connect(_ broker: Mosquitto, id: String, properties: [MQTTProperty] = []) async throws -> (Client, ConnAckPacket?) {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(MQTTCodecHandler(configuration: .init(protocolVersion: .v5)))
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: "127.0.0.1", port: broker.port)
            .get()
        let client = Client(channel: channel, collector: collector)
        try await client.send(.connect(ConnectPacket(protocolLevel: 5, clientID: id, keepAlive: 60, properties: try MQTTProperties(properties))))
        let answer = await collector.next()
        guard case .connack(let connack)? = answer else { return (client, nil) }
        return (client, connack)
    }

    func withBroker(_ body: (Mosquitto) async throws -> Void) async throws {
        let broker = try await Mosquitto.start(group: group)
        do {
            try await body(broker)
        } catch {
            Issue.record("mosquitto log:\n\(broker.log)")
            broker.stop()
            throw error
        }
        broker.stop()
    }

    @Test("CONNECT with properties, SUBSCRIBE with a Subscription Identifier, PUBLISH with properties and a Topic Alias, UNSUBSCRIBE, DISCONNECT with a reason")
    func session() async throws {
        try await withBroker { broker in
            let (subscriber, subscriberAck) = try await connect(broker, id: "sub5", properties: [.sessionExpiryInterval(0), .receiveMaximum(20), .userProperty(name: "site", value: "lab")])
            #expect(subscriberAck?.reasonCode == .success)
            let (publisher, publisherAck) = try await connect(broker, id: "pub5", properties: [.topicAliasMaximum(0)])
            let connack = try #require(publisherAck)
            #expect(connack.reasonCode == .success)
            // Mosquitto announces how many Topic Aliases it accepts (its max_topic_alias).
            #expect(connack.properties.first(.topicAliasMaximum) != nil, "\(connack.properties)")

            try await subscriber.send(.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: try TopicFilter("t/#"), qos: .atLeastOnce, retainAsPublished: true)], properties: try MQTTProperties([.subscriptionIdentifier(7)]))))
            #expect(await subscriber.collector.next() == .suback(SubAckPacket(packetID: 1, reasonCodes: [.grantedQoS1])))

            let properties = try MQTTProperties([
                .topicAlias(1), .contentType("application/json"), .responseTopic("replies/pub5"), .correlationData(ByteBuffer(bytes: [1, 2, 3])),
                .userProperty(name: "k", value: "v"), .userProperty(name: "k", value: "w"), .payloadFormatIndicator(1),
            ])
            try await publisher.send(.publish(PublishPacket(topic: try TopicName("t/x"), payload: ByteBuffer(string: "{}"), qos: .atLeastOnce, packetID: 5, properties: properties)))
            #expect(await publisher.collector.next() == .puback(packetID: 5))
            guard case .publish(let first)? = await subscriber.collector.next(where: { $0.type == .publish }) else {
                Issue.record("no PUBLISH delivered")
                return
            }
            #expect(first.topic.string == "t/x")
            #expect(first.properties.subscriptionIdentifiers == [7])
            // User Properties arrive unaltered and in order [MQTT-3.3.2-17], [MQTT-3.3.2-18].
            #expect(first.properties.userProperties.map { "\($0.name)=\($0.value)" } == ["k=v", "k=w"])
            #expect(first.properties.first(.contentType) == .contentType("application/json"))
            #expect(first.properties.first(.responseTopic) == .responseTopic("replies/pub5"))
            #expect(first.properties.first(.correlationData) == .correlationData(ByteBuffer(bytes: [1, 2, 3])))
            #expect(first.properties.topicAlias == nil, "the broker does not forward the publisher's alias")
            if let id = first.packetID { try await subscriber.send(.puback(packetID: id)) }

            // The alias now stands for t/x: an empty topic name with it [MQTT-3.3.2-12].
            try await publisher.send(.publish(PublishPacket(topic: TopicName.empty, payload: ByteBuffer(string: "2"), properties: try MQTTProperties([.topicAlias(1)]))))
            guard case .publish(let second)? = await subscriber.collector.next(where: { $0.type == .publish }) else {
                Issue.record("no PUBLISH through the alias")
                return
            }
            #expect(second.topic.string == "t/x")
            #expect(second.payload == ByteBuffer(string: "2"))

            try await subscriber.send(.unsubscribe(UnsubscribePacket(packetID: 2, filters: [try TopicFilter("t/#"), try TopicFilter("none")])))
            #expect(await subscriber.collector.next(where: { $0.type == .unsuback }) == .unsuback(UnsubAckPacket(packetID: 2, reasonCodes: [.success, .noSubscriptionExisted])))

            try await subscriber.send(.disconnect(DisconnectPacket(reasonCode: .success, properties: try MQTTProperties([.reasonString("done")]))))
            for client in [subscriber, publisher] {
                #expect(client.collector.errors.withLock { $0 }.isEmpty, "\(client.collector.errors.withLock { $0 })")
            }
            try? await publisher.channel.close()
            try? await subscriber.channel.close()
        }
    }

    @Test("No Local: a subscriber does not get its own publications back [MQTT-3.8.3-3]")
    func noLocal() async throws {
        try await withBroker { broker in
            let (client, ack) = try await connect(broker, id: "self5")
            #expect(ack?.reasonCode == .success)
            try await client.send(.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: try TopicFilter("n/#"), qos: .atMostOnce, noLocal: true), .init(filter: try TopicFilter("m/#"), qos: .atMostOnce)])))
            #expect(await client.collector.next() == .suback(SubAckPacket(packetID: 1, reasonCodes: [.success, .success])))
            try await client.send(.publish(PublishPacket(topic: try TopicName("n/1"), payload: ByteBuffer(string: "no"))))
            try await client.send(.publish(PublishPacket(topic: try TopicName("m/1"), payload: ByteBuffer(string: "yes"))))
            guard case .publish(let echoed)? = await client.collector.next(where: { $0.type == .publish }) else {
                Issue.record("nothing came back")
                return
            }
            #expect(echoed.topic.string == "m/1")
            #expect(await client.collector.next(timeout: .milliseconds(300), where: { $0.type == .publish }) == nil)
            #expect(client.collector.errors.withLock { $0 }.isEmpty)
            try? await client.channel.close()
        }
    }

    @Test("a PUBLISH with Topic Alias 0 gets Mosquitto's DISCONNECT with a reason code, decoded as MQTT 5.0")
    func serverDisconnect() async throws {
        try await withBroker { broker in
            let (client, ack) = try await connect(broker, id: "bad5")
            #expect(ack?.reasonCode == .success)
            // Topic Alias 0 [MQTT-3.3.2-8], past our encoder, which refuses it.
            try await client.sendRaw("30 08 000161 04 230000 78")
            guard case .disconnect(let disconnect)? = await client.collector.next(where: { $0.type == .disconnect }) else {
                Issue.record("no DISCONNECT; log:\n\(broker.log)")
                return
            }
            #expect(disconnect.reasonCode.isFailure, "\(disconnect)")
            #expect(client.collector.errors.withLock { $0 }.isEmpty)
            try? await client.channel.close()
        }
    }
}
