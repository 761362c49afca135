import HarnessTestSupport
import MQTTCore
import NIOCore
import Testing

/// The encoder refuses packets their receiver would have to refuse, so that every packet that
/// encodes decodes back equal.
@Suite struct EncoderValidationTests {
    static let cases: [(name: String, packet: MQTTPacket, error: MQTTEncodingError)] = [
        ("PUBLISH QoS 1 without id", .publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(), qos: .atLeastOnce)), .missingPacketIdentifier),
        ("PUBLISH QoS 2 id 0", .publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(), qos: .exactlyOnce, packetID: 0)), .malformed(.zeroPacketIdentifier(.publish))),
        ("PUBLISH QoS 0 with id", .publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(), packetID: 3)), .packetIdentifierAtQoS0),
        ("PUBLISH QoS 0 with DUP", .publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(), dup: true)), .malformed(.duplicateFlagAtQoS0)),
        ("PUBACK id 0", .puback(packetID: 0), .malformed(.zeroPacketIdentifier(.puback))),
        ("PUBREC id 0", .pubrec(packetID: 0), .malformed(.zeroPacketIdentifier(.pubrec))),
        ("PUBREL id 0", .pubrel(packetID: 0), .malformed(.zeroPacketIdentifier(.pubrel))),
        ("PUBCOMP id 0", .pubcomp(packetID: 0), .malformed(.zeroPacketIdentifier(.pubcomp))),
        ("UNSUBACK id 0", .unsuback(packetID: 0), .malformed(.zeroPacketIdentifier(.unsuback))),
        ("SUBSCRIBE id 0", .subscribe(SubscribePacket(packetID: 0, subscriptions: [.init(filter: topicFilter("a"), qos: .atMostOnce)])), .malformed(.zeroPacketIdentifier(.subscribe))),
        ("SUBSCRIBE empty", .subscribe(SubscribePacket(packetID: 1, subscriptions: [])), .malformed(.emptySubscribe)),
        ("SUBACK id 0", .suback(SubAckPacket(packetID: 0, returnCodes: [.failure])), .malformed(.zeroPacketIdentifier(.suback))),
        ("SUBACK empty", .suback(SubAckPacket(packetID: 1, returnCodes: [])), .malformed(.emptySubAck)),
        ("UNSUBSCRIBE id 0", .unsubscribe(UnsubscribePacket(packetID: 0, filters: [topicFilter("a")])), .malformed(.zeroPacketIdentifier(.unsubscribe))),
        ("UNSUBSCRIBE empty", .unsubscribe(UnsubscribePacket(packetID: 1, filters: [])), .malformed(.emptyUnsubscribe)),
        ("CONNACK session present with refusal", .connack(ConnAckPacket(sessionPresent: true, returnCode: .notAuthorized)), .malformed(.sessionPresentWithRefusal(.notAuthorized))),
        ("CONNECT protocol name", .connect(ConnectPacket(protocolName: "MQTTv5", clientID: "c")), .malformed(.invalidProtocolName("MQTTv5"))),
        ("CONNECT password without user name", .connect(ConnectPacket(clientID: "c", password: ByteBuffer(string: "p"))), .malformed(.passwordWithoutUsername)),
        ("CONNECT U+0000 in client id", .connect(ConnectPacket(clientID: "a\u{0}b")), .malformed(.nullCharacter(.connect, field: .clientIdentifier))),
        ("CONNECT U+0000 in user name", .connect(ConnectPacket(clientID: "c", username: "\u{0}")), .malformed(.nullCharacter(.connect, field: .userName))),
        ("CONNECT client id too long", .connect(ConnectPacket(clientID: String(repeating: "c", count: 65_536))), .fieldTooLong(field: .clientIdentifier, byteCount: 65_536)),
        (
            "CONNECT password too long", .connect(ConnectPacket(clientID: "c", username: "u", password: ByteBuffer(repeating: 1, count: 65_536))),
            .fieldTooLong(field: .password, byteCount: 65_536)
        ),
        (
            "CONNECT will message too long",
            .connect(ConnectPacket(clientID: "c", will: .init(topic: topicName("w"), payload: ByteBuffer(repeating: 1, count: 70_000)))),
            .fieldTooLong(field: .willMessage, byteCount: 70_000)
        ),
    ]

    @Test("invalid packets are refused and nothing is written", arguments: cases.indices)
    func refused(index: Int) {
        let testCase = Self.cases[index]
        var buffer = ByteBuffer(string: "x")
        #expect(throws: testCase.error, "\(testCase.name)") { try testCase.packet.encode(into: &buffer) }
        #expect(buffer == ByteBuffer(string: "x"))
        #expect(!testCase.error.description.isEmpty)
    }

    @Test("encoding errors name the statement")
    func statements() {
        #expect(MQTTEncodingError.packetIdentifierAtQoS0.statement == "MQTT-2.3.1-5")
        #expect(MQTTEncodingError.missingPacketIdentifier.statement == "MQTT-2.3.1-1")
        #expect(MQTTEncodingError.malformed(.emptySubscribe).statement == "MQTT-3.8.3-3")
        #expect(MQTTEncodingError.malformed(.emptySubscribe).description.hasSuffix("[MQTT-3.8.3-3]"))
    }

    @Test("a packet above the largest remaining length is refused before anything is allocated")
    func tooLarge() throws {
        // 4,097 filters of 65,535 bytes sharing one string: 268,513,307 bytes of body.
        let filter = try TopicFilter(String(repeating: "f", count: 65_535))
        let packet = MQTTPacket.unsubscribe(UnsubscribePacket(packetID: 1, filters: Array(repeating: filter, count: 4_097)))
        #expect(throws: MQTTEncodingError.packetTooLarge(remainingLength: 2 + 4_097 * 65_537)) { try packet.encoded() }
    }
}
