import HarnessTestSupport
import MQTTCore
import NIOCore
import Testing

/// What the encoders refuse: the MQTT 3.1.1 encoder every field only 5.0 has; the 5.0 encoder
/// what the 5.0 decoder would refuse, so that what encodes decodes back.
@Suite struct MQTT5EncoderTests {
    static func properties(_ list: [MQTTProperty]) -> MQTTProperties { (try? MQTTProperties(list)) ?? MQTTProperties() }

    static let version5Only: [(MQTTPacket, String)] = [
        (.publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(), properties: properties([.topicAlias(1)]))), "PUBLISH properties"),
        (.connack(ConnAckPacket(reasonCode: .banned)), "CONNACK reason code 0x8A (banned)"),
        (.connack(ConnAckPacket(reasonCode: .success, properties: properties([.maximumQoS(1)]))), "CONNACK properties"),
        (.puback(PublishAckPacket(packetID: 1, reasonCode: .noMatchingSubscribers)), "PUBACK reason code 0x10 (no_matching_subscribers)"),
        (.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: topicFilter("a"), qos: .atMostOnce, noLocal: true)])), "subscription options of 'a' beyond the QoS"),
        (.suback(SubAckPacket(packetID: 1, reasonCodes: [.quotaExceeded])), "SUBACK reason code 0x97 (quota_exceeded)"),
        (.unsuback(UnsubAckPacket(packetID: 1, reasonCodes: [.success])), "UNSUBACK reason codes"),
        (.disconnect(DisconnectPacket(reasonCode: .sessionTakenOver)), "DISCONNECT reason code 0x8E (session_taken_over)"),
        (.auth(AuthPacket()), "AUTH"),
        (
            .connect(ConnectPacket(clientID: "c", will: ApplicationMessage(topic: topicName("w"), payload: ByteBuffer(), properties: properties([.willDelayInterval(1)])))),
            "will properties"
        ),
        (.connect(ConnectPacket(clientID: "c", properties: properties([.sessionExpiryInterval(1)]))), "CONNECT properties"),
    ]

    @Test("the 3.1.1 encoder refuses what only MQTT 5.0 has, and says what", arguments: version5Only.indices)
    func version5OnlyRefused(index: Int) {
        let (packet, what) = Self.version5Only[index]
        #expect(throws: MQTTEncodingError.version5Only(what)) { try packet.encoded() }
        #expect((try? packet.encoded(version: .v5)) != nil, "\(packet.type) encodes as MQTT 5.0")
    }

    static let refusedBy5: [(MQTTPacket, MQTTDecodingError)] = [
        (.puback(PublishAckPacket(packetID: 1, reasonCode: .packetIdentifierNotFound)), .invalidReasonCode(.puback, 0x92)),
        (.auth(AuthPacket(reasonCode: .notAuthorized)), .invalidReasonCode(.auth, 0x87)),
        (.disconnect(DisconnectPacket(reasonCode: .grantedQoS1)), .invalidReasonCode(.disconnect, 0x01)),
        (.connack(ConnAckPacket(sessionPresent: true, reasonCode: .notAuthorized)), .sessionPresentWithReasonCode(.notAuthorized)),
        (.publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(), properties: properties([.topicAlias(0)]))), .invalidProperty(.publish, .invalidValue(.topicAlias, 0))),
        (.publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(), properties: properties([.sessionExpiryInterval(0)]))), .invalidProperty(.publish, .notAllowed(.sessionExpiryInterval))),
        (.publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(), properties: properties([.responseTopic("a/#")]))), .invalidProperty(.publish, .invalidResponseTopic(.wildcardInTopicName("a/#")))),
        (.publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(), properties: properties([.contentType("a\u{0}")]))), .invalidProperty(.publish, .nullCharacter(.contentType))),
        (.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: topicFilter("$share/g/a"), qos: .atMostOnce, noLocal: true)])), .noLocalOnSharedSubscription("$share/g/a")),
        (.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: topicFilter("$share/+/a"), qos: .atMostOnce)])), .invalidSharedSubscription("$share/+/a")),
        (.unsuback(UnsubAckPacket(packetID: 1)), .emptyUnsubAck),
        (.suback(SubAckPacket(packetID: 1, reasonCodes: [.noSubscriptionExisted])), .invalidReasonCode(.suback, 0x11)),
        (.connect(ConnectPacket(protocolName: "MQIsdp", protocolLevel: 5, clientID: "c")), .invalidProtocolName("MQIsdp")),
        (.connect(ConnectPacket(protocolLevel: 5, clientID: "c", properties: properties([.receiveMaximum(0)]))), .invalidProperty(.connect, .invalidValue(.receiveMaximum, 0))),
    ]

    @Test("the 5.0 encoder refuses what the 5.0 decoder would, with the same error", arguments: refusedBy5.indices)
    func refusedByVersion5(index: Int) {
        let (packet, error) = Self.refusedBy5[index]
        #expect(throws: MQTTEncodingError.malformed(.mqtt5(error))) { try packet.encoded(version: .v5) }
    }

    @Test("nothing is written when a packet cannot be encoded")
    func nothingWritten() {
        var buffer = ByteBuffer(string: "x")
        #expect(throws: (any Error).self) { try MQTTPacket.auth(AuthPacket(reasonCode: .banned)).encode(into: &buffer, version: .v5) }
        #expect(buffer.readableBytes == 1)
    }

    @Test("a 3.1.1 CONNECT keeps its layout on an MQTT 5.0 connection; on a 3.1.1 one, a level-5 CONNECT without properties keeps 3.1.1's")
    func connectLayouts() throws {
        let old = MQTTPacket.connect(ConnectPacket(clientID: "c", keepAlive: 60))
        #expect(try old.encoded(version: .v5) == (try old.encoded()))
        let level5 = MQTTPacket.connect(ConnectPacket(protocolLevel: 5, clientID: "c", keepAlive: 60))
        #expect(Array(try level5.encoded(version: .v5).readableBytesView) == Hex.bytes("10 0e 0004 4d515454 05 02 003c 00 0001 63"))
        #expect(Array(try level5.encoded().readableBytesView) == Hex.bytes("10 0d 0004 4d515454 05 02 003c 0001 63"))
    }

    @Test("summaries show reason codes and properties; 3.1.1 packets' summaries are unchanged")
    func summaries() throws {
        #expect(MQTTPacket.connack(ConnAckPacket(returnCode: .notAuthorized)).summary == "session_present=0 return_code=5 (not_authorized)")
        #expect(MQTTPacket.puback(packetID: 3).summary == "id=3")
        #expect(MQTTPacket.disconnect.summary == "")
        #expect(MQTTPacket.connack(ConnAckPacket(reasonCode: .banned)).summary.contains("reason=0x8A(banned)"))
        #expect(MQTTPacket.disconnect(DisconnectPacket(reasonCode: .sessionTakenOver)).summary == "reason=0x8E(session_taken_over)")
        #expect(MQTTPacket.disconnect(DisconnectPacket(reasonCode: .success, properties: Self.properties([.reasonString("bye")]))).summary == "properties=[reason_string=bye]")
        #expect(MQTTPacket.puback(PublishAckPacket(packetID: 3, reasonCode: .quotaExceeded)).summary == "id=3 reason=0x97(quota_exceeded)")
        #expect(MQTTPacket.suback(SubAckPacket(packetID: 2, reasonCodes: [.grantedQoS1, .notAuthorized])).summary == "id=2 granted=1,0x87(not_authorized)")
        #expect(MQTTPacket.unsuback(UnsubAckPacket(packetID: 2, reasonCodes: [.noSubscriptionExisted])).summary == "id=2 reasons=0x11(no_subscription_existed)")
        #expect(MQTTPacket.auth(AuthPacket(reasonCode: .continueAuthentication, properties: Self.properties([.authenticationData(ByteBuffer(string: "pw"))]))).summary
            == "reason=0x18(continue_authentication) properties=[authentication_data=(2 bytes)]")
        let subscribe = MQTTPacket.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: topicFilter("a"), qos: .atLeastOnce, noLocal: true, retainHandling: .doNotSend)]))
        #expect(subscribe.summary == "id=1 filters=a@1+no_local+retain_handling=2")
        let connect = MQTTPacket.connect(
            ConnectPacket(
                protocolLevel: 5, clientID: "c", username: "u", password: ByteBuffer(string: "hunter2"),
                properties: Self.properties([.userProperty(name: "password", value: "hunter2"), .userProperty(name: "site", value: "lab")])
            )
        )
        #expect(!connect.summary.contains("hunter2"))
        #expect(connect.summary.contains("password=(7 bytes)"))
        #expect(connect.summary.contains("user_property=site:lab"))
        let publish = MQTTPacket.publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(string: "x"), properties: Self.properties([.topicAlias(4), .subscriptionIdentifier(9)])))
        #expect(publish.summary == "qos=0 topic=t payload=\"x\" properties=[topic_alias=4 subscription_identifier=9]")
    }
}
