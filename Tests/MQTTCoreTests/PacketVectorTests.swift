import HarnessTestSupport
import MQTTCore
import NIOCore
import Testing

/// Encode -> bytes, bytes -> decode, for every packet type.
@Suite struct PacketVectorTests {
    static let vectors: [(name: String, packet: MQTTPacket, hex: String)] = [
        ("CONNACK accepted", .connack(ConnAckPacket(sessionPresent: false, returnCode: .accepted)), "20020000"),
        ("CONNACK session present", .connack(ConnAckPacket(sessionPresent: true, returnCode: .accepted)), "20020100"),
        ("CONNACK not authorized", .connack(ConnAckPacket(returnCode: .notAuthorized)), "20020005"),
        ("PUBLISH QoS 0", .publish(PublishPacket(topic: topicName("a/b"), payload: ByteBuffer(string: "on"))), "3007000361 2f 62 6f6e"),
        (
            "PUBLISH QoS 1 id 10",
            .publish(PublishPacket(topic: topicName("a/b"), payload: ByteBuffer(string: "off"), qos: .atLeastOnce, packetID: 10)),
            "320a0003612f62000a6f6666"
        ),
        (
            "PUBLISH QoS 1 DUP RETAIN",
            .publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(), qos: .atLeastOnce, packetID: 1, dup: true, retain: true)),
            "3b050001740001"
        ),
        (
            "PUBLISH QoS 2 DUP id 65535",
            .publish(PublishPacket(topic: topicName("a"), payload: ByteBuffer(bytes: [0, 1]), qos: .exactlyOnce, packetID: 0xFFFF, dup: true)),
            "3c07 000161 ffff 0001"
        ),
        ("CONNACK identifier rejected", .connack(ConnAckPacket(returnCode: .identifierRejected)), "20020002"),
        ("CONNACK unacceptable protocol version", .connack(ConnAckPacket(returnCode: .unacceptableProtocolVersion)), "20020001"),
        ("PUBACK", .puback(packetID: 0x1234), "40021234"),
        ("PUBREC", .pubrec(packetID: 7), "50020007"),
        ("PUBREL", .pubrel(packetID: 7), "62020007"),
        ("PUBCOMP", .pubcomp(packetID: 7), "70020007"),
        (
            "SUBSCRIBE three filters at QoS 0, 1, 2",
            .subscribe(
                SubscribePacket(
                    packetID: 10,
                    subscriptions: [
                        .init(filter: topicFilter("a/b"), qos: .atMostOnce), .init(filter: topicFilter("c/+"), qos: .atLeastOnce),
                        .init(filter: topicFilter("#"), qos: .exactlyOnce),
                    ]
                )
            ),
            "8212 000a 0003612f62 00 0003632f2b 01 000123 02"
        ),
        ("SUBACK granted 2", .suback(SubAckPacket(packetID: 10, returnCodes: [.granted(.exactlyOnce)])), "9003000a02"),
        ("SUBACK granted 0, 1, failure", .suback(SubAckPacket(packetID: 1, returnCodes: [.granted(.atMostOnce), .granted(.atLeastOnce), .failure])), "9005000100 01 80"),
        ("UNSUBSCRIBE", .unsubscribe(UnsubscribePacket(packetID: 2, filters: [topicFilter("a/#")])), "a2070002 0003 612f23"),
        ("UNSUBACK", .unsuback(packetID: 2), "b0020002"),
        ("PINGREQ", .pingreq, "c000"),
        ("PINGRESP", .pingresp, "d000"),
        ("DISCONNECT", .disconnect, "e000"),
        (
            "CONNECT with will",
            .connect(
                ConnectPacket(
                    clientID: "d",
                    cleanSession: true,
                    keepAlive: 60,
                    will: .init(topic: topicName("w"), payload: ByteBuffer(string: "x"), qos: .atLeastOnce, retain: true)
                )
            ),
            "1013 00044d515454 04 2e 003c 000164 000177 000178"
        ),
        (
            "CONNECT user name and password, keep-alive 65535",
            .connect(ConnectPacket(clientID: "id", cleanSession: false, keepAlive: 0xFFFF, username: "u", password: ByteBuffer(bytes: [0x00, 0xFF]))),
            "1015 00044d515454 04 c0 ffff 00026964 000175 000200ff"
        ),
        (
            "CONNECT MQTT 3.1 (MQIsdp, level 3), will QoS 2, user name only",
            .connect(
                ConnectPacket(
                    protocolName: "MQIsdp",
                    protocolLevel: 3,
                    clientID: "",
                    will: .init(topic: topicName("w"), payload: ByteBuffer(), qos: .exactlyOnce),
                    username: "u"
                )
            ),
            "1016 00064d5149736470 03 96 0000 0000 000177 0000 000175"
        ),
    ]

    @Test("encodes to the vector", arguments: vectors.indices)
    func encodes(index: Int) throws {
        let vector = Self.vectors[index]
        let bytes = try vector.packet.encoded().readableBytesView
        #expect(Hex.string(bytes) == Hex.string(Hex.bytes(vector.hex)), "\(vector.name)")
    }

    @Test("decodes from the vector", arguments: vectors.indices)
    func decodes(index: Int) throws {
        let vector = Self.vectors[index]
        var buffer = Hex.buffer(vector.hex)
        #expect(try MQTTPacket.decode(from: &buffer) == vector.packet, "\(vector.name)")
        #expect(buffer.readableBytes == 0)
    }

    @Test("CONNECT: every combination of clean session, will (QoS 0 to 2, retain), user name and password")
    func connectFlagCombinations() throws {
        var count = 0
        for cleanSession in [false, true] {
            for willQoS in [nil] + MQTTQoS.allCases {
                for willRetain in willQoS == nil ? [false] : [false, true] {
                    for (username, password) in [(nil, nil), ("user", nil), ("user", "secret")] as [(String?, String?)] {
                        let will = willQoS.map { ConnectPacket.Will(topic: topicName("will/t"), payload: ByteBuffer(string: "gone"), qos: $0, retain: willRetain) }
                        let connect = ConnectPacket(
                            clientID: "c",
                            cleanSession: cleanSession,
                            keepAlive: 30,
                            will: will,
                            username: username,
                            password: password.map { ByteBuffer(string: $0) }
                        )
                        var expectedFlags: UInt8 = cleanSession ? 0x02 : 0
                        if let willQoS { expectedFlags |= 0x04 | willQoS.rawValue << 3 | (willRetain ? 0x20 : 0) }
                        if username != nil { expectedFlags |= 0x80 }
                        if password != nil { expectedFlags |= 0x40 }
                        var buffer = try MQTTPacket.connect(connect).encoded()
                        #expect(buffer.getInteger(at: 9, as: UInt8.self) == expectedFlags)
                        #expect(try MQTTPacket.decode(from: &buffer) == .connect(connect))
                        count += 1
                    }
                }
            }
        }
        #expect(count == 2 * (1 + 3 * 2) * 3)
    }

    @Test("an MQTT 5 CONNECT decodes to its name and level with the rest kept as bytes, so a 3.1.1 server can answer CONNACK 1 [MQTT-3.1.2-2]")
    func newerProtocolLevel() throws {
        // CONNECT, MQTT level 5, clean start, keep-alive 60, property length 0, client id "c".
        let original = Hex.buffer("10 0e 0004 4d515454 05 02 003c 00 0001 63 ")
        var buffer = original
        let packet = try MQTTPacket.decode(from: &buffer)
        #expect(packet == .connect(ConnectPacket(protocolName: "MQTT", protocolLevel: 5, clientID: "", undecodedFields: Hex.buffer("02 003c 00 0001 63"))))
        #expect(buffer.readableBytes == 0)
        // It encodes back to exactly the bytes it came from.
        #expect(try packet?.encoded() == original)
        #expect(packet?.summary == "protocol=MQTT/5 fields=(7 bytes, not MQTT 3.1.1)")
    }

    @Test("a bridge's CONNECT (level 0x84) in the 3.1.1 layout decodes its fields, so the refusal names the client")
    func bridgeLevel() throws {
        var connect = ConnectPacket(clientID: "bridge-1", keepAlive: 60)
        connect.protocolLevel = 0x84
        var buffer = try MQTTPacket.connect(connect).encoded()
        #expect(try MQTTPacket.decode(from: &buffer) == .connect(connect))
    }

    @Test("undecoded fields are refused on a level with fields of its own")
    func undecodedFieldsAtKnownLevel() {
        let packet = MQTTPacket.connect(ConnectPacket(clientID: "", undecodedFields: Hex.buffer("02 003c")))
        #expect(throws: MQTTEncodingError.undecodedFieldsAtKnownLevel(4)) { try packet.encoded() }
    }

    @Test("remaining length boundaries: 1 to 4 bytes", arguments: [0, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152])
    func remainingLengthBoundaries(length: Int) throws {
        // A PUBLISH with topic "t" whose payload makes the remaining length exactly `length`.
        guard length >= 3 else { return }
        let packet = MQTTPacket.publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(repeating: 0x61, count: length - 3)))
        var buffer = try packet.encoded()
        let expectedHeader = length < 128 ? 2 : length < 16_384 ? 3 : length < 2_097_152 ? 4 : 5
        #expect(buffer.readableBytes == expectedHeader + length)
        #expect(try MQTTPacket.decode(from: &buffer) == packet)
    }

    @Test("a partial packet returns nil and leaves the buffer untouched")
    func partialInput() throws {
        let full = Hex.bytes(SeedPacketTests.connectBytes)
        for cut in [0, 1, 2, 3, 50, full.count - 1] {
            var buffer = ByteBuffer(bytes: full.prefix(cut))
            #expect(try MQTTPacket.decode(from: &buffer) == nil)
            #expect(buffer.readableBytes == cut)
        }
    }

    @Test("the payload is a slice of the input, not a copy")
    func payloadIsSlice() throws {
        var buffer = Hex.buffer("3007000361 2f 62 6f6e")
        let storageBase = buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        guard case .publish(let publish) = try MQTTPacket.decode(from: &buffer) else {
            Issue.record("not a PUBLISH")
            return
        }
        let payloadBase = publish.payload.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) }
        #expect(payloadBase == storageBase + 7)
    }
}
