import HarnessTestSupport
import MQTTCore
import NIOCore
import Testing

/// MQTT 5.0 byte vectors laid out field by field from the standard's figures (sections 3.1 to
/// 3.15): each decodes to the packet shown and that packet encodes back to the same bytes.
@Suite struct MQTT5PacketVectorTests {
    static func properties(_ list: [MQTTProperty]) -> MQTTProperties {
        (try? MQTTProperties(list)) ?? MQTTProperties()
    }

    static let vectors: [(name: String, packet: MQTTPacket, hex: String)] = [
        (
            "CONNECT with properties, a will with will properties, user name and password (3.1.2, 3.1.3)",
            .connect(
                ConnectPacket(
                    protocolLevel: 5,
                    clientID: "clid",
                    cleanSession: true,
                    keepAlive: 10,
                    will: ApplicationMessage(
                        topic: topicName("a/b"),
                        payload: ByteBuffer(string: "hi"),
                        qos: .atLeastOnce,
                        properties: properties([.willDelayInterval(5), .payloadFormatIndicator(1), .contentType("txt")])
                    ),
                    username: "user",
                    password: ByteBuffer(string: "pw"),
                    properties: properties([.sessionExpiryInterval(10)])
                )
            ),
            """
            10 37
            0004 4d515454 05 ce 000a
            05 11 0000000a
            0004 636c6964
            0d 18 00000005 01 01 03 0003 747874
            0003 612f62
            0002 6869
            0004 75736572
            0002 7077
            """
        ),
        (
            "CONNECT with a password and no user name (allowed in MQTT 5.0, section 3.1.2.9)",
            .connect(ConnectPacket(protocolLevel: 5, clientID: "c", keepAlive: 0, password: ByteBuffer(string: "pw"))),
            "10 12 0004 4d515454 05 42 0000 00 0001 63 0002 7077"
        ),
        (
            "CONNACK session present, with properties (3.2.2)",
            .connack(
                ConnAckPacket(
                    sessionPresent: true,
                    reasonCode: .success,
                    properties: properties([.topicAliasMaximum(10), .assignedClientIdentifier("abcd"), .maximumQoS(1), .userProperty(name: "k", value: "v")])
                )
            ),
            "20 16 01 00 13 22000a 12000461626364 2401 260001 6b 0001 76"
        ),
        ("CONNACK not authorized (0x87)", .connack(ConnAckPacket(reasonCode: .notAuthorized)), "20 03 00 87 00"),
        ("CONNACK banned (0x8A), 3.1.1 has no such code", .connack(ConnAckPacket(reasonCode: .banned)), "20 03 00 8a 00"),
        (
            "CONNACK server moved with a Server Reference (4.11)",
            .connack(ConnAckPacket(reasonCode: .serverMoved, properties: properties([.serverReference("b:1883")]))),
            "20 0c 00 9d 09 1c 0006 623a31383833"
        ),
        (
            "PUBLISH QoS 1 with a Topic Alias, two Subscription Identifiers, a User Property, Payload Format Indicator (3.3.2.3)",
            .publish(
                PublishPacket(
                    topic: topicName("a/b"),
                    payload: ByteBuffer(string: "hello"),
                    qos: .atLeastOnce,
                    packetID: 10,
                    properties: properties([
                        .topicAlias(5), .subscriptionIdentifier(1), .subscriptionIdentifier(128), .userProperty(name: "k", value: "v"),
                        .payloadFormatIndicator(1),
                    ])
                )
            ),
            "32 1e 0003 612f62 000a 11 230005 0b01 0b8001 260001 6b 0001 76 0101 68656c6c6f"
        ),
        (
            "PUBLISH with an empty topic name standing for its Topic Alias (3.3.2.3.4)",
            .publish(PublishPacket(topic: TopicName.empty, payload: ByteBuffer(string: "x"), properties: properties([.topicAlias(5)]))),
            "30 07 0000 03 230005 78"
        ),
        (
            "PUBLISH with Response Topic, Correlation Data, Message Expiry and Content Type (4.10)",
            .publish(
                PublishPacket(
                    topic: topicName("req"),
                    payload: ByteBuffer(),
                    properties: properties([.responseTopic("res/1"), .correlationData(ByteBuffer(bytes: [1, 2])), .messageExpiryInterval(60), .contentType("json")])
                )
            ),
            "30 1f 0003 726571 19 08 0005 7265732f31 09 0002 0102 02 0000003c 03 0004 6a736f6e"
        ),
        ("PUBACK, Success left out (remaining length 2)", .puback(packetID: 1), "40 02 0001"),
        ("PUBACK no matching subscribers, properties left out", .puback(PublishAckPacket(packetID: 1, reasonCode: .noMatchingSubscribers)), "40 03 0001 10"),
        (
            "PUBACK not authorized with a Reason String (3.4.2)",
            .puback(PublishAckPacket(packetID: 1, reasonCode: .notAuthorized, properties: properties([.reasonString("bad")]))),
            "40 0a 0001 87 06 1f 0003 626164"
        ),
        ("PUBREC quota exceeded", .pubrec(PublishAckPacket(packetID: 7, reasonCode: .quotaExceeded)), "50 03 0007 97"),
        ("PUBREL packet identifier not found", .pubrel(PublishAckPacket(packetID: 2, reasonCode: .packetIdentifierNotFound)), "62 03 0002 92"),
        ("PUBCOMP", .pubcomp(packetID: 3), "70 02 0003"),
        (
            "SUBSCRIBE with a Subscription Identifier and every option in its options byte (3.8.3.1)",
            .subscribe(
                SubscribePacket(
                    packetID: 1,
                    subscriptions: [
                        .init(filter: topicFilter("a/b"), qos: .atLeastOnce, noLocal: true, retainAsPublished: true, retainHandling: .doNotSend),
                        .init(filter: topicFilter("c"), qos: .atMostOnce),
                        .init(filter: topicFilter("$share/g/d/#"), qos: .exactlyOnce, retainHandling: .sendOnNewSubscription),
                    ],
                    properties: properties([.subscriptionIdentifier(7)])
                )
            ),
            "82 1e 0001 02 0b07 0003 612f62 2d 0001 63 00 000c 2473686172652f672f642f23 12"
        ),
        (
            "SUBACK: granted QoS 1, not authorized, wildcard subscriptions not supported (3.9.3)",
            .suback(SubAckPacket(packetID: 1, reasonCodes: [.grantedQoS1, .notAuthorized, .wildcardSubscriptionsNotSupported])),
            "90 06 0001 00 01 87 a2"
        ),
        (
            "UNSUBSCRIBE with a User Property (3.10.2.1)",
            .unsubscribe(UnsubscribePacket(packetID: 9, filters: [topicFilter("a/#")], properties: properties([.userProperty(name: "k", value: "v")]))),
            "a2 0f 0009 07 260001 6b 0001 76 0003 612f23"
        ),
        (
            "UNSUBACK: success, no subscription existed (3.11.3)",
            .unsuback(UnsubAckPacket(packetID: 1, reasonCodes: [.success, .noSubscriptionExisted])),
            "b0 05 0001 00 00 11"
        ),
        ("DISCONNECT without reason: remaining length 0 is Normal disconnection (3.14.2.1)", .disconnect, "e0 00"),
        ("DISCONNECT session taken over (0x8E), properties left out", .disconnect(DisconnectPacket(reasonCode: .sessionTakenOver)), "e0 01 8e"),
        (
            "DISCONNECT with will message and a Session Expiry Interval (3.14.2.2)",
            .disconnect(DisconnectPacket(reasonCode: .disconnectWithWillMessage, properties: properties([.sessionExpiryInterval(60)]))),
            "e0 07 04 05 11 0000003c"
        ),
        ("AUTH without reason: remaining length 0 is Success (3.15.2.1)", .auth(AuthPacket()), "f0 00"),
        (
            "AUTH continue authentication with method and data (3.15.2.2)",
            .auth(AuthPacket(reasonCode: .continueAuthentication, properties: properties([.authenticationMethod("SCRAM"), .authenticationData(ByteBuffer(bytes: [0xab, 0xcd]))]))),
            "f0 0f 18 0d 15 0005 534352414d 16 0002 abcd"
        ),
        ("PINGREQ", .pingreq, "c0 00"),
        ("PINGRESP", .pingresp, "d0 00"),
    ]


    @Test("decodes the vector and encodes the packet back to it", arguments: vectors.indices)
    func vector(index: Int) throws {
        let (name, packet, hex) = Self.vectors[index]
        let bytes = Hex.bytes(hex)
        var buffer = ByteBuffer(bytes: bytes)
        let decoded = try MQTTPacket.decode(from: &buffer, version: .v5)
        #expect(decoded == packet, "\(name)")
        #expect(buffer.readableBytes == 0, "\(name)")
        #expect(Array(try packet.encoded(version: .v5).readableBytesView) == bytes, "\(name)")
    }

    @Test("the standard's shortened forms decode to the same packet and re-encode in the shortest form")
    func shortenedForms() throws {
        let equivalents: [(long: String, short: String)] = [
            ("40 04 0001 10 00", "40 03 0001 10"),
            ("40 03 0001 00", "40 02 0001"),
            ("e0 01 00", "e0 00"),
            ("e0 02 00 00", "e0 00"),
            ("f0 02 00 00", "f0 00"),
        ]
        for (long, short) in equivalents {
            var longBuffer = ByteBuffer(bytes: Hex.bytes(long))
            var shortBuffer = ByteBuffer(bytes: Hex.bytes(short))
            let packet = try #require(try MQTTPacket.decode(from: &longBuffer, version: .v5))
            #expect(packet == (try MQTTPacket.decode(from: &shortBuffer, version: .v5)))
            #expect(Array(try packet.encoded(version: .v5).readableBytesView) == Hex.bytes(short))
        }
    }

    @Test("typed values come out of decoded properties, in order")
    func typedProperties() throws {
        var buffer = ByteBuffer(bytes: Hex.bytes("32 1e 0003 612f62 000a 11 230005 0b01 0b8001 260001 6b 0001 76 0101 68656c6c6f"))
        guard case .publish(let publish)? = try MQTTPacket.decode(from: &buffer, version: .v5) else {
            Issue.record("not a PUBLISH")
            return
        }
        #expect(publish.properties.topicAlias == 5)
        #expect(publish.properties.subscriptionIdentifiers == [1, 128])
        #expect(publish.properties.userProperties.map { "\($0.name)=\($0.value)" } == ["k=v"])
        #expect(Array(publish.properties) == [.topicAlias(5), .subscriptionIdentifier(1), .subscriptionIdentifier(128), .userProperty(name: "k", value: "v"), .payloadFormatIndicator(1)])
        #expect(publish.properties.count == 5)
        #expect(publish.properties.first(.payloadFormatIndicator)?.value == .byte(1))
    }

    @Test("a SUBSCRIBE's options byte carries each option in its bits (Figure 3-21)")
    func subscriptionOptions() {
        let all = SubscribePacket.Subscription(filter: topicFilter("a"), qos: .exactlyOnce, noLocal: true, retainAsPublished: true, retainHandling: .doNotSend)
        #expect(all.options == 0b0010_1110)
        #expect(SubscribePacket.Subscription(filter: topicFilter("a"), qos: .atMostOnce).options == 0)
        #expect(SubscribePacket.Subscription(filter: topicFilter("a"), qos: .atMostOnce, retainHandling: .sendOnNewSubscription).options == 0x10)
    }
}
