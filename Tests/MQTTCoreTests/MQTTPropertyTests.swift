import HarnessTestSupport
import MQTTCore
import NIOCore
import Testing

/// The 27 properties of MQTT 5.0 (Table 2-4): identifiers, data types, where each is allowed,
/// which may repeat, and their typed values through the codec.
@Suite struct MQTTPropertyTests {
    /// One sample value per identifier.
    static func sample(_ id: MQTTPropertyIdentifier) -> MQTTProperty {
        switch id {
        case .payloadFormatIndicator: .payloadFormatIndicator(1)
        case .messageExpiryInterval: .messageExpiryInterval(0xFFFF_FFFF)
        case .contentType: .contentType("application/json; charset=é")
        case .responseTopic: .responseTopic("replies/€/1")
        case .correlationData: .correlationData(ByteBuffer(bytes: [0, 1, 0xFF]))
        case .subscriptionIdentifier: .subscriptionIdentifier(268_435_455)
        case .sessionExpiryInterval: .sessionExpiryInterval(3600)
        case .assignedClientIdentifier: .assignedClientIdentifier("auto-1")
        case .serverKeepAlive: .serverKeepAlive(30)
        case .authenticationMethod: .authenticationMethod("SCRAM-SHA-1")
        case .authenticationData: .authenticationData(ByteBuffer(string: "secret-bytes"))
        case .requestProblemInformation: .requestProblemInformation(0)
        case .willDelayInterval: .willDelayInterval(10)
        case .requestResponseInformation: .requestResponseInformation(1)
        case .responseInformation: .responseInformation("replies/")
        case .serverReference: .serverReference("other:1883")
        case .reasonString: .reasonString("because")
        case .receiveMaximum: .receiveMaximum(65535)
        case .topicAliasMaximum: .topicAliasMaximum(0)
        case .topicAlias: .topicAlias(1)
        case .maximumQoS: .maximumQoS(0)
        case .retainAvailable: .retainAvailable(1)
        case .userProperty: .userProperty(name: "k€y", value: "välue")
        case .maximumPacketSize: .maximumPacketSize(1)
        case .wildcardSubscriptionAvailable: .wildcardSubscriptionAvailable(0)
        case .subscriptionIdentifierAvailable: .subscriptionIdentifierAvailable(1)
        case .sharedSubscriptionAvailable: .sharedSubscriptionAvailable(0)
        }
    }

    @Test("27 identifiers with Table 2-4's values and data types")
    func table() {
        #expect(MQTTPropertyIdentifier.allCases.count == 27)
        let types: [MQTTPropertyValueType: Set<UInt8>] = [
            .byte: [0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A],
            .twoByteInteger: [0x13, 0x21, 0x22, 0x23],
            .fourByteInteger: [0x02, 0x11, 0x18, 0x27],
            .variableByteInteger: [0x0B],
            .utf8String: [0x03, 0x08, 0x12, 0x15, 0x1A, 0x1C, 0x1F],
            .binaryData: [0x09, 0x16],
            .utf8StringPair: [0x26],
        ]
        for id in MQTTPropertyIdentifier.allCases {
            #expect(types[id.valueType]?.contains(id.rawValue) == true, "\(id)")
            #expect(Self.sample(id).identifier == id)
            #expect(Self.sample(id).value.type == id.valueType)
            #expect(MQTTProperty(identifier: id, value: Self.sample(id).value) == Self.sample(id))
            #expect(MQTTPropertyIdentifier(name: id.name) == id)
            #expect(MQTTPropertyIdentifier(name: String(id.rawValue)) == id)
        }
        #expect(MQTTProperty(identifier: .topicAlias, value: .string("x")) == nil)
        #expect(MQTTPropertyIdentifier(name: "topic-alias") == nil)
    }

    @Test("where each property is allowed (Table 2-4's last column)")
    func allowed() {
        let expected: [MQTTPropertyIdentifier: Set<MQTTPropertyContext>] = [
            .payloadFormatIndicator: [.publish, .will],
            .messageExpiryInterval: [.publish, .will],
            .contentType: [.publish, .will],
            .responseTopic: [.publish, .will],
            .correlationData: [.publish, .will],
            .subscriptionIdentifier: [.publish, .subscribe],
            .sessionExpiryInterval: [.connect, .connack, .disconnect],
            .assignedClientIdentifier: [.connack],
            .serverKeepAlive: [.connack],
            .authenticationMethod: [.connect, .connack, .auth],
            .authenticationData: [.connect, .connack, .auth],
            .requestProblemInformation: [.connect],
            .willDelayInterval: [.will],
            .requestResponseInformation: [.connect],
            .responseInformation: [.connack],
            .serverReference: [.connack, .disconnect],
            .reasonString: [.connack, .puback, .pubrec, .pubrel, .pubcomp, .suback, .unsuback, .disconnect, .auth],
            .receiveMaximum: [.connect, .connack],
            .topicAliasMaximum: [.connect, .connack],
            .topicAlias: [.publish],
            .maximumQoS: [.connack],
            .retainAvailable: [.connack],
            .userProperty: Set(MQTTPropertyContext.allCases),
            .maximumPacketSize: [.connect, .connack],
            .wildcardSubscriptionAvailable: [.connack],
            .subscriptionIdentifierAvailable: [.connack],
            .sharedSubscriptionAvailable: [.connack],
        ]
        for id in MQTTPropertyIdentifier.allCases {
            for context in MQTTPropertyContext.allCases {
                #expect(id.isAllowed(in: context) == expected[id]?.contains(context), "\(id) in \(context)")
            }
        }
    }

    @Test("only User Property repeats anywhere; Subscription Identifier repeats in PUBLISH only")
    func repetition() throws {
        for id in MQTTPropertyIdentifier.allCases {
            for context in MQTTPropertyContext.allCases where id.isAllowed(in: context) {
                let twice = try MQTTProperties([Self.sample(id), Self.sample(id)])
                let refusal = Self.refusal(twice, in: context)
                if id == .userProperty || (id == .subscriptionIdentifier && context == .publish) {
                    #expect(refusal == nil, "\(id) twice in \(context): \(String(describing: refusal))")
                } else {
                    #expect(refusal == .malformed(.mqtt5(.invalidProperty(context, .repeated(id)))), "\(id) twice in \(context)")
                }
            }
        }
    }

    /// Encodes a packet carrying `properties` in `context` and says what the encoder refused.
    static func refusal(_ properties: MQTTProperties, in context: MQTTPropertyContext) -> MQTTEncodingError? {
        do {
            let bytes = try packet(carrying: properties, in: context).encoded(version: .v5)
            var copy = bytes
            #expect(try MQTTPacket.decode(from: &copy, version: .v5) == packet(carrying: properties, in: context))
            return nil
        } catch let error as MQTTEncodingError {
            return error
        } catch {
            Issue.record("\(error)")
            return nil
        }
    }

    /// The smallest packet with `properties` in `context`.
    static func packet(carrying properties: MQTTProperties, in context: MQTTPropertyContext) -> MQTTPacket {
        switch context {
        case .connect: .connect(ConnectPacket(protocolLevel: 5, clientID: "c", properties: properties))
        case .will: .connect(ConnectPacket(protocolLevel: 5, clientID: "c", will: ApplicationMessage(topic: topicName("w"), payload: ByteBuffer(), properties: properties)))
        case .connack: .connack(ConnAckPacket(reasonCode: .success, properties: properties))
        case .publish: .publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(), properties: properties))
        case .puback: .puback(PublishAckPacket(packetID: 1, properties: properties))
        case .pubrec: .pubrec(PublishAckPacket(packetID: 1, properties: properties))
        case .pubrel: .pubrel(PublishAckPacket(packetID: 1, properties: properties))
        case .pubcomp: .pubcomp(PublishAckPacket(packetID: 1, properties: properties))
        case .subscribe: .subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: topicFilter("f"), qos: .atMostOnce)], properties: properties))
        case .suback: .suback(SubAckPacket(packetID: 1, reasonCodes: [.success], properties: properties))
        case .unsubscribe: .unsubscribe(UnsubscribePacket(packetID: 1, filters: [topicFilter("f")], properties: properties))
        case .unsuback: .unsuback(UnsubAckPacket(packetID: 1, reasonCodes: [.success], properties: properties))
        case .disconnect: .disconnect(DisconnectPacket(properties: properties))
        case .auth: .auth(AuthPacket(reasonCode: .continueAuthentication, properties: properties))
        }
    }

    @Test("every property round-trips with its typed value where it is allowed, and is refused (encoder and decoder alike) where it is not")
    func everyPropertyEverywhere() throws {
        for id in MQTTPropertyIdentifier.allCases {
            let properties = try MQTTProperties([Self.sample(id)])
            #expect(Array(properties) == [Self.sample(id)])
            for context in MQTTPropertyContext.allCases {
                let refusal = Self.refusal(properties, in: context)
                if id.isAllowed(in: context) {
                    #expect(refusal == nil, "\(id) in \(context): \(String(describing: refusal))")
                } else {
                    #expect(refusal == .malformed(.mqtt5(.invalidProperty(context, .notAllowed(id)))), "\(id) in \(context)")
                    // The decoder refuses the same bytes: write them as 3.1.1 would not, by hand.
                    let allowedHere = try MQTTProperties([.userProperty(name: "a", value: "b")])
                    var bytes = try Self.packet(carrying: allowedHere, in: context).encoded(version: .v5)
                    let wire = Array(bytes.readableBytesView)
                    let marker = Array(allowedHere.bytes.readableBytesView)
                    guard let start = Self.find(marker, in: wire) else {
                        Issue.record("no properties found in \(context)")
                        continue
                    }
                    let swapped = Array(properties.bytes.readableBytesView)
                    var forged = Array(wire[..<(start - 1)]) + [UInt8(swapped.count)] + swapped + Array(wire[(start + marker.count)...])
                    let remaining = forged.count - 2
                    guard remaining < 128 else { continue }
                    forged[1] = UInt8(remaining)
                    bytes = ByteBuffer(bytes: forged)
                    #expect(throws: MQTTDecodingError.mqtt5(.invalidProperty(context, .notAllowed(id)))) { try MQTTPacket.decode(from: &bytes, version: .v5) }
                }
            }
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        return (0...(haystack.count - needle.count)).first { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }

    @Test("values the wire form cannot hold are refused when the list is built")
    func tooLarge() {
        #expect(throws: MQTTEncodingError.propertyValueTooLarge(.subscriptionIdentifier, 268_435_456)) {
            try MQTTProperties([.subscriptionIdentifier(268_435_456)])
        }
        #expect(throws: MQTTEncodingError.propertyValueTooLarge(.reasonString, 65_536)) {
            try MQTTProperties([.reasonString(String(repeating: "a", count: 65_536))])
        }
        #expect(throws: MQTTEncodingError.propertyValueTooLarge(.correlationData, 65_536)) {
            try MQTTProperties([.correlationData(ByteBuffer(repeating: 0, count: 65_536))])
        }
    }

    @Test("Variable Byte Integers of every width: Subscription Identifiers 1, 127, 128, 16383, 16384, 2097151, 2097152, 268435455")
    func subscriptionIdentifierWidths() throws {
        for value: UInt32 in [1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455] {
            let packet = MQTTPacket.publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(), properties: try MQTTProperties([.subscriptionIdentifier(value)])))
            var bytes = try packet.encoded(version: .v5)
            #expect(try MQTTPacket.decode(from: &bytes, version: .v5) == packet)
        }
    }

    @Test("the summary masks Authentication Data and User Properties whose name looks secret")
    func summaryMasks() throws {
        let properties = try MQTTProperties([
            .authenticationMethod("SCRAM"), .authenticationData(ByteBuffer(string: "hunter2")),
            .userProperty(name: "api-key", value: "s3cr3t-value"), .userProperty(name: "X-Auth-Token", value: "abc"),
            .userProperty(name: "room", value: "kitchen"),
        ])
        let summary = properties.summary
        #expect(!summary.contains("hunter2"))
        #expect(!summary.contains("s3cr3t-value"))
        #expect(!summary.contains("abc"))
        #expect(summary.contains("authentication_data=(7 bytes)"))
        #expect(summary.contains("user_property=api-key:(12 bytes)"))
        #expect(summary.contains("user_property=room:kitchen"))
        #expect(summary.contains("authentication_method=SCRAM"))
        // Interpolating a packet (an error message, a log line) masks them too.
        let packet = MQTTPacket.auth(AuthPacket(reasonCode: .continueAuthentication, properties: properties))
        #expect(!"\(packet)".contains("hunter2") && !"\(packet)".contains("s3cr3t-value"))
        #expect(!"\(Array(properties))".contains("s3cr3t-value"))
    }
}
