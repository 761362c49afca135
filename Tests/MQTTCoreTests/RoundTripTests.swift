import HarnessTestSupport
import MQTTCore
import NIOCore
import Testing

/// Every packet that encodes decodes back to an equal packet, and encoding is canonical:
/// random packets of every kind (seeded, so a failure is reproducible).
@Suite struct RoundTripTests {
    @Test("random packets of all 14 kinds round-trip", arguments: 0..<8)
    func randomPackets(seed: UInt64) throws {
        var generator = PacketGenerator(seed: seed)
        var stream = ByteBuffer()
        var expected: [MQTTPacket] = []
        for _ in 0..<250 {
            let packet = try generator.packet()
            let bytes = try packet.encoded()
            var single = bytes
            let decoded = try #require(try MQTTPacket.decode(from: &single))
            #expect(decoded == packet)
            #expect(single.readableBytes == 0)
            #expect(try decoded.encoded() == bytes, "encoding is canonical")
            stream.writeImmutableBuffer(bytes)
            expected.append(packet)
        }
        // All of them coalesced in one buffer, then split at random places.
        var decoder = MQTTPacketDecoder()
        var pending = ByteBuffer()
        var decoded: [MQTTPacket] = []
        while stream.readableBytes > 0 {
            var chunk = stream.readSlice(length: min(stream.readableBytes, Int(generator.next() % 300) + 1)) ?? ByteBuffer()
            pending.writeBuffer(&chunk)
            while let packet = try decoder.decode(buffer: &pending) { decoded.append(packet) }
        }
        #expect(decoded == expected)
        // AUTH is MQTT 5.0's (MQTT5RoundTripTests); 3.1.1 has the other fourteen.
        #expect(Set(expected.map(\.type)) == Set(MQTTPacketType.allCases).subtracting([.auth]))
    }
}

/// Makes random valid packets from a seed (SplitMix64).
struct PacketGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed &+ 0x9E37_79B9_7F4A_7C15
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bool() -> Bool { next() & 1 == 1 }

    mutating func id() -> UInt16 { UInt16.random(in: 1...UInt16.max, using: &self) }

    mutating func qos() -> MQTTQoS { MQTTQoS.allCases.randomElement(using: &self) ?? .atMostOnce }

    mutating func bytes(upTo limit: Int) -> ByteBuffer {
        let count = Int.random(in: 0...limit, using: &self)
        return ByteBuffer(bytes: (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) })
    }

    /// Text from a mix of ASCII, multi-byte and four-byte characters, never U+0000.
    mutating func text(upTo limit: Int, alphabet: [Character] = PacketGenerator.alphabet) -> String {
        String((0..<Int.random(in: 0...limit, using: &self)).map { _ in alphabet.randomElement(using: &self) ?? "a" })
    }

    static let alphabet: [Character] = Array("abcXYZ019/$ _-.é€\u{1F4A1}\u{FEFF}\u{7F}\u{1}")

    mutating func topicName() throws -> TopicName {
        let name = text(upTo: 40)
        return try TopicName(name.isEmpty ? "t" : name)
    }

    mutating func topicFilter() throws -> TopicFilter {
        var levels = (0..<Int.random(in: 1...5, using: &self)).map { _ in
            Int.random(in: 0..<4, using: &self) == 0 ? "+" : text(upTo: 8, alphabet: PacketGenerator.alphabet.filter { $0 != "/" })
        }
        if bool() { levels.append("#") }
        let joined = levels.joined(separator: "/")
        return try TopicFilter(joined.isEmpty ? "#" : joined)
    }

    mutating func packet() throws -> MQTTPacket {
        switch Int.random(in: 1...14, using: &self) {
        case 1:
            let username = bool() ? text(upTo: 60) : nil
            return .connect(
                ConnectPacket(
                    protocolName: bool() ? "MQTT" : "MQIsdp",
                    protocolLevel: UInt8.random(in: 0...255, using: &self),
                    clientID: text(upTo: 30),
                    cleanSession: bool(),
                    keepAlive: UInt16.random(in: 0...UInt16.max, using: &self),
                    will: bool() ? .init(topic: try topicName(), payload: bytes(upTo: 50), qos: qos(), retain: bool()) : nil,
                    username: username,
                    password: username != nil && bool() ? bytes(upTo: 200) : nil
                )
            )
        case 2:
            let code = ConnectReturnCode.allCases.randomElement(using: &self) ?? .accepted
            return .connack(ConnAckPacket(sessionPresent: code == .accepted && bool(), returnCode: code))
        case 3:
            let qos = qos()
            return .publish(
                PublishPacket(
                    topic: try topicName(),
                    payload: bytes(upTo: 300),
                    qos: qos,
                    packetID: qos == .atMostOnce ? nil : id(),
                    dup: qos != .atMostOnce && bool(),
                    retain: bool()
                )
            )
        case 4: return .puback(packetID: id())
        case 5: return .pubrec(packetID: id())
        case 6: return .pubrel(packetID: id())
        case 7: return .pubcomp(packetID: id())
        case 8:
            let subscriptions = try (0..<Int.random(in: 1...4, using: &self)).map { _ in
                SubscribePacket.Subscription(filter: try topicFilter(), qos: qos())
            }
            return .subscribe(SubscribePacket(packetID: id(), subscriptions: subscriptions))
        case 9:
            let codes = (0..<Int.random(in: 1...6, using: &self)).map { _ in
                bool() ? SubAckPacket.ReturnCode.failure : .granted(qos())
            }
            return .suback(SubAckPacket(packetID: id(), returnCodes: codes))
        case 10:
            let filters = try (0..<Int.random(in: 1...4, using: &self)).map { _ in try topicFilter() }
            return .unsubscribe(UnsubscribePacket(packetID: id(), filters: filters))
        case 11: return .unsuback(packetID: id())
        case 12: return .pingreq
        case 13: return .pingresp
        default: return .disconnect
        }
    }
}
