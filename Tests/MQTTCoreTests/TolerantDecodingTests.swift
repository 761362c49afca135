import HarnessTestSupport
import MQTTCore
import NIOCore
import Testing

/// Input the standard lets the receiver answer rather than drop decodes, so that a server can
/// send the answer the standard asks for; and what the standard says a receiver must keep.
@Suite struct TolerantDecodingTests {
    static func connectBody(name: String, level: UInt8, flags: UInt8 = 0x02, clientID: String = "c") -> ByteBuffer {
        var body = ByteBuffer()
        body.writeInteger(UInt16(name.utf8.count))
        body.writeString(name)
        body.writeInteger(level)
        body.writeInteger(flags)
        body.writeInteger(UInt16(60))
        body.writeInteger(UInt16(clientID.utf8.count))
        body.writeString(clientID)
        var packet = ByteBuffer()
        packet.writeInteger(UInt8(0x10))
        precondition(body.readableBytes < 128, "one remaining-length byte")
        packet.writeInteger(UInt8(body.readableBytes))
        packet.writeBuffer(&body)
        return packet
    }

    @Test("CONNECT with any protocol level decodes, so a server can answer CONNACK 1 [MQTT-3.1.2-2]", arguments: [0, 3, 5, 0x84, 255] as [UInt8])
    func anyLevel(level: UInt8) throws {
        var buffer = Self.connectBody(name: "MQTT", level: level)
        let packet = try #require(try MQTTPacket.decode(from: &buffer))
        guard case .connect(let connect) = packet else {
            Issue.record("not a CONNECT")
            return
        }
        #expect(connect.protocolLevel == level)
        #expect(connect.protocolName == "MQTT")
    }

    @Test("MQTT 3.1's CONNECT (MQIsdp, level 3) decodes and encodes back byte for byte")
    func mqtt31() throws {
        var buffer = Self.connectBody(name: "MQIsdp", level: 3)
        let original = buffer
        let packet = try #require(try MQTTPacket.decode(from: &buffer))
        #expect(packet == .connect(ConnectPacket(protocolName: "MQIsdp", protocolLevel: 3, clientID: "c", cleanSession: true, keepAlive: 60)))
        #expect(try packet.encoded() == original)
    }

    @Test("an empty client id with clean session 0 decodes: the server answers CONNACK 2 [MQTT-3.1.3-8]")
    func emptyClientIDWithoutCleanSession() throws {
        var buffer = Self.connectBody(name: "MQTT", level: 4, flags: 0, clientID: "")
        let packet = try #require(try MQTTPacket.decode(from: &buffer))
        #expect(packet == .connect(ConnectPacket(clientID: "", cleanSession: false, keepAlive: 60)))
    }

    @Test("a client id longer than 23 bytes decodes (a server MAY allow it, [MQTT-3.1.3-5])")
    func longClientID() throws {
        let id = String(repeating: "x", count: 100)
        var buffer = Self.connectBody(name: "MQTT", level: 4, clientID: id)
        let packet = try #require(try MQTTPacket.decode(from: &buffer))
        #expect(packet == .connect(ConnectPacket(clientID: id, keepAlive: 60)))
    }

    @Test("a byte order mark is kept as U+FEFF, not stripped [MQTT-1.5.3-3]")
    func byteOrderMark() throws {
        var buffer = Hex.buffer("3006 0004 efbbbf61")
        let packet = try #require(try MQTTPacket.decode(from: &buffer))
        guard case .publish(let publish) = packet else {
            Issue.record("not a PUBLISH")
            return
        }
        #expect(Array(publish.topic.string.utf8) == [0xEF, 0xBB, 0xBF, 0x61])
        #expect(publish.topic.string.unicodeScalars.first == "\u{FEFF}")
    }

    @Test(
        "code points the standard says SHOULD NOT appear decode (a receiver MAY close, section 1.5.3)",
        arguments: ["01", "7f", "c280", "efbfbf", "f48fbfbf", "efb790"]
    )
    func discouragedCodePoints(hex: String) throws {
        let bytes = Hex.bytes(hex)
        var buffer = ByteBuffer(bytes: [0x30, UInt8(2 + bytes.count), 0x00, UInt8(bytes.count)] + bytes)
        let packet = try #require(try MQTTPacket.decode(from: &buffer))
        guard case .publish(let publish) = packet else {
            Issue.record("not a PUBLISH")
            return
        }
        #expect(Array(publish.topic.string.utf8) == bytes)
    }

    @Test("multi-byte UTF-8 in topics and strings round-trips byte for byte")
    func multiByte() throws {
        let topic = "maison/caf\u{E9}/\u{1F4A1}/\u{6E29}\u{5EA6}"
        let packet = MQTTPacket.publish(PublishPacket(topic: try TopicName(topic), payload: ByteBuffer(string: "on"), qos: .exactlyOnce, packetID: 9))
        var buffer = try packet.encoded()
        #expect(try MQTTPacket.decode(from: &buffer) == packet)
    }

    @Test("PUBLISH payloads may be empty and may hold any bytes, U+0000 included")
    func binaryPayloads() throws {
        for payload in [[], [0x00], [0xFF, 0xFE, 0x00, 0xC0]] as [[UInt8]] {
            let packet = MQTTPacket.publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(bytes: payload), retain: true))
            var buffer = try packet.encoded()
            #expect(try MQTTPacket.decode(from: &buffer) == packet)
        }
    }

    @Test("the will message and password are binary: any bytes decode")
    func binaryConnectFields() throws {
        let packet = MQTTPacket.connect(
            ConnectPacket(
                clientID: "d",
                will: .init(topic: topicName("w"), payload: ByteBuffer(bytes: [0x00, 0xFF]), qos: .exactlyOnce, retain: false),
                username: "u",
                password: ByteBuffer(bytes: [0xC0, 0x00, 0xED, 0xA0, 0x80])
            )
        )
        var buffer = try packet.encoded()
        #expect(try MQTTPacket.decode(from: &buffer) == packet)
    }
}
