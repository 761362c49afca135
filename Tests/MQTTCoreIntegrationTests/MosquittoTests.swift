import HarnessTestSupport
import MQTTCore
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// Our codec as a client of a real broker, Mosquitto, on a loopback port: every packet
/// Mosquitto sends must decode, and every exchange of MQTT 3.1.1 must work.
@Suite(.serialized) struct MosquittoTests {
    /// Keeps every packet record, for checks on what crossed the wire.
    final class RecordingTap: PacketTap {
        private let storage = Mutex<[PacketRecord]>([])
        func record(_ record: PacketRecord) { storage.withLock { $0.append(record) } }
        var records: [PacketRecord] { storage.withLock { $0 } }
        func inbound(on connection: UInt64) -> [PacketRecord] {
            records.filter { $0.connection == connection && $0.direction == .inbound }
        }
    }

    let group = MultiThreadedEventLoopGroup.singleton

    /// Starts a broker, runs `body`, stops the broker even when `body` throws.
    func withBroker(deniedSubscriptions: [String] = [], _ body: (Mosquitto) async throws -> Void) async throws {
        let broker = try await Mosquitto.start(deniedSubscriptions: deniedSubscriptions, group: group)
        do {
            try await body(broker)
        } catch {
            Issue.record("mosquitto log:\n\(broker.log)")
            broker.stop()
            throw error
        }
        broker.stop()
    }

    /// Connects a client and expects CONNACK 0.
    func connectedClient(
        _ broker: Mosquitto,
        id: String,
        tap: RecordingTap,
        connection: UInt64,
        will: ConnectPacket.Will? = nil
    ) async throws -> MQTTTestClient {
        let client = try await MQTTTestClient.connect(port: broker.port, group: group, tap: tap, connection: connection)
        try await client.send(.connect(ConnectPacket(clientID: id, cleanSession: true, keepAlive: 60, will: will)))
        #expect(await client.receive() == .connack(ConnAckPacket(returnCode: .accepted)))
        return client
    }

    /// Every byte the client received decoded into a packet, without any error.
    func expectEverythingDecoded(_ client: MQTTTestClient, tap: RecordingTap, connection: UInt64) {
        #expect(client.errors.isEmpty, "\(client.errors)")
        let inbound = tap.inbound(on: connection)
        #expect(!inbound.isEmpty)
        #expect(inbound.map(\.size).reduce(0, +) == client.receivedByteCount)
    }

    static func publish(_ packet: MQTTPacket?) -> PublishPacket? {
        if case .publish(let publish) = packet { return publish }
        return nil
    }

    @Test("subscribe, QoS 0, 1 and 2 round trips both ways, ping, unsubscribe, disconnect")
    func session() async throws {
        try await withBroker { broker in
            let tap = RecordingTap()
            let client = try await connectedClient(broker, id: "harness-session", tap: tap, connection: 1)
            let filters: [(String, MQTTQoS)] = [("harness/q0", .atMostOnce), ("harness/q1", .atLeastOnce), ("harness/q2", .exactlyOnce), ("harness/+/deep/#", .exactlyOnce)]
            try await client.send(
                .subscribe(SubscribePacket(packetID: 1, subscriptions: try filters.map { .init(filter: try TopicFilter($0.0), qos: $0.1) }))
            )
            #expect(await client.receive() == .suback(SubAckPacket(packetID: 1, returnCodes: [.granted(.atMostOnce), .granted(.atLeastOnce), .granted(.exactlyOnce), .granted(.exactlyOnce)])))

            // QoS 0: out and straight back.
            try await client.send(.publish(PublishPacket(topic: try TopicName("harness/q0"), payload: ByteBuffer(string: "zero"))))
            let zero = Self.publish(await client.receive())
            #expect(zero?.topic.string == "harness/q0")
            #expect(zero?.payload == ByteBuffer(string: "zero"))
            #expect(zero?.qos == .atMostOnce)
            #expect(zero?.packetID == nil)

            // QoS 1: PUBACK for ours, PUBLISH at QoS 1 to us, which we acknowledge.
            try await client.send(.publish(PublishPacket(topic: try TopicName("harness/q1"), payload: ByteBuffer(string: "one"), qos: .atLeastOnce, packetID: 10)))
            #expect(await client.receive { $0.type == .puback } == .puback(packetID: 10))
            let one = try #require(Self.publish(await client.receive { $0.type == .publish }))
            #expect(one.qos == .atLeastOnce)
            #expect(one.payload == ByteBuffer(string: "one"))
            let oneID = try #require(one.packetID)
            try await client.send(.puback(packetID: oneID))

            // QoS 2 from us: PUBLISH, PUBREC, PUBREL, PUBCOMP.
            try await client.send(
                .publish(PublishPacket(topic: try TopicName("harness/x/deep/er"), payload: ByteBuffer(bytes: [0, 1, 2, 0xFF]), qos: .exactlyOnce, packetID: 11))
            )
            #expect(await client.receive { $0.type == .pubrec } == .pubrec(packetID: 11))
            try await client.send(.pubrel(packetID: 11))
            #expect(await client.receive { $0.type == .pubcomp } == .pubcomp(packetID: 11))
            // QoS 2 to us: PUBLISH, our PUBREC, its PUBREL, our PUBCOMP.
            let two = try #require(Self.publish(await client.receive { $0.type == .publish }))
            #expect(two.qos == .exactlyOnce)
            #expect(two.topic.string == "harness/x/deep/er")
            #expect(two.payload == ByteBuffer(bytes: [0, 1, 2, 0xFF]))
            let twoID = try #require(two.packetID)
            try await client.send(.pubrec(packetID: twoID))
            #expect(await client.receive { $0.type == .pubrel } == .pubrel(packetID: twoID))
            try await client.send(.pubcomp(packetID: twoID))

            // Retained: a new subscription gets the retained message with RETAIN set.
            try await client.send(.publish(PublishPacket(topic: try TopicName("harness/retained"), payload: ByteBuffer(string: "kept"), retain: true)))
            try await client.send(.subscribe(SubscribePacket(packetID: 2, subscriptions: [.init(filter: try TopicFilter("harness/retained"), qos: .atLeastOnce)])))
            #expect(await client.receive { $0.type == .suback } == .suback(SubAckPacket(packetID: 2, returnCodes: [.granted(.atLeastOnce)])))
            let retained = try #require(Self.publish(await client.receive { $0.type == .publish }))
            #expect(retained.retain)
            #expect(retained.payload == ByteBuffer(string: "kept"))

            // Ping.
            try await client.send(.pingreq)
            #expect(await client.receive { $0.type == .pingresp } == .pingresp)

            // Unsubscribe: no more QoS 0 deliveries, the other subscriptions stay.
            try await client.send(.unsubscribe(UnsubscribePacket(packetID: 3, filters: [try TopicFilter("harness/q0")])))
            #expect(await client.receive { $0.type == .unsuback } == .unsuback(packetID: 3))
            try await client.send(.publish(PublishPacket(topic: try TopicName("harness/q0"), payload: ByteBuffer(string: "gone"))))
            try await client.send(.publish(PublishPacket(topic: try TopicName("harness/q1"), payload: ByteBuffer(string: "still"), qos: .atLeastOnce, packetID: 12)))
            #expect(await client.receive { $0.type == .puback } == .puback(packetID: 12))
            let still = try #require(Self.publish(await client.receive { $0.type == .publish }))
            #expect(still.topic.string == "harness/q1")
            try await client.send(.puback(packetID: try #require(still.packetID)))
            try await client.send(.pingreq)
            #expect(await client.receive { $0.type == .pingresp } == .pingresp)
            #expect(client.queuedPackets.isEmpty, "nothing for harness/q0 after UNSUBSCRIBE: \(client.queuedPackets)")

            // DISCONNECT: the broker closes the connection.
            try await client.send(.disconnect)
            #expect(await client.waitForClose())
            expectEverythingDecoded(client, tap: tap, connection: 1)
            let types = Set(tap.inbound(on: 1).map(\.packet.type))
            #expect(types == [.connack, .suback, .publish, .puback, .pubrec, .pubrel, .pubcomp, .pingresp, .unsuback])
        }
    }

    @Test("a will is published when a client's connection ends abruptly, not after DISCONNECT")
    func will() async throws {
        try await withBroker { broker in
            let tap = RecordingTap()
            let watcher = try await connectedClient(broker, id: "harness-watcher", tap: tap, connection: 1)
            try await watcher.send(.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: try TopicFilter("harness/will/+"), qos: .atLeastOnce)])))
            #expect(await watcher.receive() == .suback(SubAckPacket(packetID: 1, returnCodes: [.granted(.atLeastOnce)])))

            // A client that says goodbye with DISCONNECT: its will is discarded.
            let polite = try await connectedClient(
                broker, id: "harness-polite", tap: tap, connection: 2,
                will: .init(topic: try TopicName("harness/will/polite"), payload: ByteBuffer(string: "should not appear"), qos: .atLeastOnce)
            )
            try await polite.send(.disconnect)
            #expect(await polite.waitForClose())

            // A client whose connection is reset: its will goes out.
            let doomed = try await connectedClient(
                broker, id: "harness-doomed", tap: tap, connection: 3,
                will: .init(topic: try TopicName("harness/will/doomed"), payload: ByteBuffer(string: "gone"), qos: .atLeastOnce)
            )
            await doomed.reset()

            let will = try #require(Self.publish(await watcher.receive()))
            #expect(will.topic.string == "harness/will/doomed")
            #expect(will.payload == ByteBuffer(string: "gone"))
            #expect(will.qos == .atLeastOnce)
            try await watcher.send(.puback(packetID: try #require(will.packetID)))
            try await watcher.send(.pingreq)
            #expect(await watcher.receive() == .pingresp, "no will from the client that sent DISCONNECT")
            expectEverythingDecoded(watcher, tap: tap, connection: 1)
            #expect(polite.errors.isEmpty && doomed.errors.isEmpty)
        }
    }

    @Test("a second CONNECT on a connection is refused: Mosquitto closes it [MQTT-3.1.0-2]")
    func secondConnect() async throws {
        try await withBroker { broker in
            let tap = RecordingTap()
            let client = try await connectedClient(broker, id: "harness-twice", tap: tap, connection: 1)
            try await client.send(.connect(ConnectPacket(clientID: "harness-twice")))
            #expect(await client.waitForClose())
            #expect(await client.receive(timeout: .milliseconds(100)) == nil, "no second CONNACK")
            expectEverythingDecoded(client, tap: tap, connection: 1)
        }
    }

    @Test("MQTT 3.1 (MQIsdp, level 3) is accepted; an unknown level gets CONNACK 1 [MQTT-3.1.2-2]")
    func protocolLevels() async throws {
        try await withBroker { broker in
            let tap = RecordingTap()
            let old = try await MQTTTestClient.connect(port: broker.port, group: group, tap: tap, connection: 1)
            try await old.send(.connect(ConnectPacket(protocolName: "MQIsdp", protocolLevel: 3, clientID: "harness-31")))
            #expect(await old.receive() == .connack(ConnAckPacket(returnCode: .accepted)))
            try await old.send(.disconnect)
            #expect(await old.waitForClose())
            expectEverythingDecoded(old, tap: tap, connection: 1)

            let future = try await MQTTTestClient.connect(port: broker.port, group: group, tap: tap, connection: 2)
            try await future.send(.connect(ConnectPacket(protocolLevel: 9, clientID: "harness-future")))
            #expect(await future.receive() == .connack(ConnAckPacket(returnCode: .unacceptableProtocolVersion)))
            #expect(await future.waitForClose())
            expectEverythingDecoded(future, tap: tap, connection: 2)
        }
    }

    @Test("a subscription the broker denies gets SUBACK 0x80, the others their QoS")
    func subscriptionFailure() async throws {
        try await withBroker(deniedSubscriptions: ["secret/#"]) { broker in
            let tap = RecordingTap()
            let client = try await connectedClient(broker, id: "harness-acl", tap: tap, connection: 1)
            try await client.send(
                .subscribe(
                    SubscribePacket(
                        packetID: 7,
                        subscriptions: [.init(filter: try TopicFilter("harness/ok"), qos: .atLeastOnce), .init(filter: try TopicFilter("secret/#"), qos: .atMostOnce)]
                    )
                )
            )
            #expect(await client.receive() == .suback(SubAckPacket(packetID: 7, returnCodes: [.granted(.atLeastOnce), .failure])))
            expectEverythingDecoded(client, tap: tap, connection: 1)
        }
    }

    @Test("large payloads and many packets in a burst decode, whatever TCP does to them")
    func burst() async throws {
        try await withBroker { broker in
            let tap = RecordingTap()
            let client = try await connectedClient(broker, id: "harness-burst", tap: tap, connection: 1)
            try await client.send(.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: try TopicFilter("harness/burst/#"), qos: .atMostOnce)])))
            #expect(await client.receive() == .suback(SubAckPacket(packetID: 1, returnCodes: [.granted(.atMostOnce)])))
            let sizes = [0, 1, 127, 128, 16_383, 16_384, 200_000] + Array(repeating: 10, count: 200)
            for (index, size) in sizes.enumerated() {
                try await client.send(.publish(PublishPacket(topic: try TopicName("harness/burst/\(index)"), payload: ByteBuffer(repeating: UInt8(index % 256), count: size))))
            }
            for (index, size) in sizes.enumerated() {
                let received = try #require(Self.publish(await client.receive()))
                #expect(received.topic.string == "harness/burst/\(index)")
                #expect(received.payload == ByteBuffer(repeating: UInt8(index % 256), count: size))
            }
            expectEverythingDecoded(client, tap: tap, connection: 1)
        }
    }
}
