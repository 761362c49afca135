import HarnessTestSupport
import MQTTCore
import NIOCore
import Testing

/// Encode -> bytes, bytes -> decode, for every packet type of the skeleton.
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
        ("PUBACK", .puback(packetID: 0x1234), "40021234"),
        ("PUBREC", .pubrec(packetID: 7), "50020007"),
        ("PUBREL", .pubrel(packetID: 7), "62020007"),
        ("PUBCOMP", .pubcomp(packetID: 7), "70020007"),
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

    @Test("an MQTT 5 CONNECT decodes to its name and level only, so a 3.1.1 server can answer CONNACK 1 [MQTT-3.1.2-2]")
    func newerProtocolLevel() throws {
        // CONNECT, MQTT level 5, clean start, keep-alive 60, property length 0, client id "c".
        var buffer = Hex.buffer("10 0e 0004 4d515454 05 02 003c 00 0001 63 ")
        #expect(try MQTTPacket.decode(from: &buffer) == .connect(ConnectPacket(protocolName: "MQTT", protocolLevel: 5, clientID: "", cleanSession: true, keepAlive: 0)))
        #expect(buffer.readableBytes == 0)
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
