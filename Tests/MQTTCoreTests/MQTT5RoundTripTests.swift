import HarnessTestSupport
import MQTTCore
import NIOCore
import Testing

/// Random MQTT 5.0 packets of all fifteen kinds, with random properties and reason codes,
/// round-trip through the 5.0 codec: encode, decode to an equal packet, encode canonically;
/// coalesced and split at random places through the streaming decoder.
@Suite struct MQTT5RoundTripTests {
    @Test("random MQTT 5.0 packets of all 15 kinds round-trip", arguments: 0..<8)
    func randomPackets(seed: UInt64) throws {
        var generator = PacketGenerator(seed: seed &+ 1000)
        var stream = ByteBuffer()
        var expected: [MQTTPacket] = []
        for _ in 0..<300 {
            let packet = try generator.packet5()
            let bytes = try packet.encoded(version: .v5)
            var single = bytes
            let decoded = try #require(try MQTTPacket.decode(from: &single, version: .v5))
            #expect(decoded == packet)
            #expect(single.readableBytes == 0)
            #expect(try decoded.encoded(version: .v5) == bytes, "encoding is canonical")
            _ = decoded.summary
            stream.writeImmutableBuffer(bytes)
            expected.append(packet)
        }
        var decoder = MQTTPacketDecoder(version: .v5)
        var pending = ByteBuffer()
        var decoded: [MQTTPacket] = []
        while stream.readableBytes > 0 {
            var chunk = stream.readSlice(length: min(stream.readableBytes, Int(generator.next() % 300) + 1)) ?? ByteBuffer()
            pending.writeBuffer(&chunk)
            while let packet = try decoder.decode(buffer: &pending) { decoded.append(packet) }
        }
        #expect(decoded == expected)
        #expect(Set(expected.map(\.type)) == Set(MQTTPacketType.allCases))
        #expect(expected.filter { !$0.properties.isEmpty }.count > 100)
        #expect(expected.contains { if case .publish(let publish) = $0 { publish.topic.string.isEmpty } else { false } })
    }
}

extension PacketGenerator {
    /// Random properties allowed in `context`, each once (User Properties and, in PUBLISH,
    /// Subscription Identifiers possibly more).
    mutating func properties(in context: MQTTPropertyContext) throws -> MQTTProperties {
        var list: [MQTTProperty] = []
        for id in context.identifiers where Int.random(in: 0..<3, using: &self) == 0 {
            let count = id.mayRepeat(in: context) ? Int.random(in: 1...3, using: &self) : 1
            for _ in 0..<count { list.append(try property(id)) }
        }
        list.shuffle(using: &self)
        return try MQTTProperties(list)
    }

    mutating func property(_ id: MQTTPropertyIdentifier) throws -> MQTTProperty {
        switch id {
        case .payloadFormatIndicator: return .payloadFormatIndicator(UInt8.random(in: 0...1, using: &self))
        case .messageExpiryInterval: return .messageExpiryInterval(UInt32.random(in: 0...UInt32.max, using: &self))
        case .contentType: return .contentType(text(upTo: 20))
        case .responseTopic: return .responseTopic(try topicName().string)
        case .correlationData: return .correlationData(bytes(upTo: 20))
        case .subscriptionIdentifier: return .subscriptionIdentifier(UInt32.random(in: 1...268_435_455, using: &self))
        case .sessionExpiryInterval: return .sessionExpiryInterval(UInt32.random(in: 0...UInt32.max, using: &self))
        case .assignedClientIdentifier: return .assignedClientIdentifier(text(upTo: 20))
        case .serverKeepAlive: return .serverKeepAlive(UInt16.random(in: 0...UInt16.max, using: &self))
        case .authenticationMethod: return .authenticationMethod(text(upTo: 12))
        case .authenticationData: return .authenticationData(bytes(upTo: 30))
        case .requestProblemInformation: return .requestProblemInformation(UInt8.random(in: 0...1, using: &self))
        case .willDelayInterval: return .willDelayInterval(UInt32.random(in: 0...UInt32.max, using: &self))
        case .requestResponseInformation: return .requestResponseInformation(UInt8.random(in: 0...1, using: &self))
        case .responseInformation: return .responseInformation(text(upTo: 20))
        case .serverReference: return .serverReference(text(upTo: 20))
        case .reasonString: return .reasonString(text(upTo: 30))
        case .receiveMaximum: return .receiveMaximum(UInt16.random(in: 1...UInt16.max, using: &self))
        case .topicAliasMaximum: return .topicAliasMaximum(UInt16.random(in: 0...UInt16.max, using: &self))
        case .topicAlias: return .topicAlias(UInt16.random(in: 1...UInt16.max, using: &self))
        case .maximumQoS: return .maximumQoS(UInt8.random(in: 0...1, using: &self))
        case .retainAvailable: return .retainAvailable(UInt8.random(in: 0...1, using: &self))
        case .userProperty: return .userProperty(name: text(upTo: 10), value: text(upTo: 20))
        case .maximumPacketSize: return .maximumPacketSize(UInt32.random(in: 1...UInt32.max, using: &self))
        case .wildcardSubscriptionAvailable: return .wildcardSubscriptionAvailable(UInt8.random(in: 0...1, using: &self))
        case .subscriptionIdentifierAvailable: return .subscriptionIdentifierAvailable(UInt8.random(in: 0...1, using: &self))
        case .sharedSubscriptionAvailable: return .sharedSubscriptionAvailable(UInt8.random(in: 0...1, using: &self))
        }
    }

    mutating func reasonCode(for type: MQTTPacketType) -> MQTTReasonCode {
        MQTTReasonCode.allowed(in: type).randomElement(using: &self) ?? .success
    }

    mutating func reasonCodes(for type: MQTTPacketType) -> [MQTTReasonCode] {
        (0..<Int.random(in: 1...5, using: &self)).map { _ in reasonCode(for: type) }
    }

    /// A random valid MQTT 5.0 packet of any of the fifteen kinds.
    mutating func packet5() throws -> MQTTPacket {
        switch Int.random(in: 1...15, using: &self) {
        case 1:
            let will: ApplicationMessage? = bool() ? .init(topic: try topicName(), payload: bytes(upTo: 50), qos: qos(), retain: bool(), properties: try properties(in: .will)) : nil
            return .connect(
                ConnectPacket(
                    protocolLevel: 5,
                    clientID: text(upTo: 30),
                    cleanSession: bool(),
                    keepAlive: UInt16.random(in: 0...UInt16.max, using: &self),
                    will: will,
                    username: bool() ? text(upTo: 40) : nil,
                    password: bool() ? bytes(upTo: 100) : nil,
                    properties: try properties(in: .connect)
                )
            )
        case 2:
            let code = reasonCode(for: .connack)
            return .connack(ConnAckPacket(sessionPresent: code == .success && bool(), reasonCode: code, properties: try properties(in: .connack)))
        case 3:
            let qos = qos()
            // An empty topic name only with a Topic Alias standing for it.
            let publishProperties = try properties(in: .publish)
            let empty = publishProperties.topicAlias != nil && bool()
            return .publish(
                PublishPacket(
                    topic: empty ? TopicName.empty : try topicName(),
                    payload: bytes(upTo: 300),
                    qos: qos,
                    packetID: qos == .atMostOnce ? nil : id(),
                    dup: qos != .atMostOnce && bool(),
                    retain: bool(),
                    properties: publishProperties
                )
            )
        case 4: return .puback(try acknowledgement(.puback))
        case 5: return .pubrec(try acknowledgement(.pubrec))
        case 6: return .pubrel(try acknowledgement(.pubrel))
        case 7: return .pubcomp(try acknowledgement(.pubcomp))
        case 8:
            let subscriptions = try (0..<Int.random(in: 1...4, using: &self)).map { _ in
                let shared = Int.random(in: 0..<4, using: &self) == 0
                let filter = shared ? try TopicFilter("$share/\(text(upTo: 5, alphabet: Array("abc019")) + "g")/\(try topicFilter().string)") : try topicFilter()
                return SubscribePacket.Subscription(
                    filter: filter,
                    qos: qos(),
                    noLocal: !shared && bool(),
                    retainAsPublished: bool(),
                    retainHandling: SubscribePacket.RetainHandling.allCases.randomElement(using: &self) ?? .sendOnSubscribe
                )
            }
            return .subscribe(SubscribePacket(packetID: id(), subscriptions: subscriptions, properties: try properties(in: .subscribe)))
        case 9:
            return .suback(SubAckPacket(packetID: id(), reasonCodes: reasonCodes(for: .suback), properties: try properties(in: .suback)))
        case 10:
            let filters = try (0..<Int.random(in: 1...4, using: &self)).map { _ in try topicFilter() }
            return .unsubscribe(UnsubscribePacket(packetID: id(), filters: filters, properties: try properties(in: .unsubscribe)))
        case 11:
            return .unsuback(UnsubAckPacket(packetID: id(), reasonCodes: reasonCodes(for: .unsuback), properties: try properties(in: .unsuback)))
        case 12: return .pingreq
        case 13: return .pingresp
        case 14: return .disconnect(DisconnectPacket(reasonCode: reasonCode(for: .disconnect), properties: try properties(in: .disconnect)))
        default: return .auth(AuthPacket(reasonCode: reasonCode(for: .auth), properties: try properties(in: .auth)))
        }
    }

    private mutating func acknowledgement(_ type: MQTTPacketType) throws -> PublishAckPacket {
        PublishAckPacket(packetID: id(), reasonCode: reasonCode(for: type), properties: bool() ? try properties(in: MQTTPropertyContext(type) ?? .puback) : MQTTProperties())
    }
}
