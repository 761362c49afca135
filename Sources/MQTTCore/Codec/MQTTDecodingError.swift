/// Why bytes received from a peer are not a well-formed MQTT packet.
///
/// Every case names the rule of the standard it enforces: ``statement`` is the normative
/// statement's identifier (for example `MQTT-3.1.2-3`), and ``reference`` falls back to the
/// section where the standard states a rule without an identifier. A conformance report can so
/// say exactly which rule a peer broke.
///
/// The MQTT 5.0 decoder wraps what it throws in ``mqtt5(_:)``: the same rule often has another
/// statement and section in MQTT 5.0 (ill-formed UTF-8 is [MQTT-1.5.3-1] in 3.1.1 and
/// [MQTT-1.5.4-1] in 5.0), and the wrapped error names those of 5.0.
public enum MQTTDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Packet type 0 or 15: both are reserved and forbidden (section 2.2.1, Table 2.1).
    case reservedPacketType(UInt8)
    /// Fixed-header flags differ from Table 2.2: [MQTT-2.2.2-1], and for PUBREL, SUBSCRIBE,
    /// UNSUBSCRIBE and DISCONNECT their own statements [MQTT-3.6.1-1], [MQTT-3.8.1-1],
    /// [MQTT-3.10.1-1], [MQTT-3.14.1-1].
    case invalidFixedHeaderFlags(MQTTPacketType, flags: UInt8)
    /// The remaining length uses more than four bytes (section 2.2.3).
    case malformedRemainingLength
    /// The remaining length announces a packet larger than the configured maximum (a limit of
    /// the receiver, not a rule of the standard).
    case packetTooLarge(size: Int, limit: Int)
    /// The packet ended before `field` was complete.
    case truncated(MQTTPacketType, field: MQTTPacketField)
    /// The packet holds bytes after its last field (its remaining length is too large).
    case unexpectedTrailingBytes(MQTTPacketType, count: Int)
    /// CONNECT carries bytes where `field` would be, although its flag says the field is
    /// absent: will [MQTT-3.1.2-11], user name [MQTT-3.1.2-18], password [MQTT-3.1.2-20].
    case unflaggedConnectField(MQTTPacketField)
    /// A string field is not well-formed UTF-8, for example a surrogate or an overlong
    /// encoding [MQTT-1.5.3-1].
    case invalidUTF8(MQTTPacketType, field: MQTTPacketField)
    /// A string field contains U+0000 [MQTT-1.5.3-2].
    case nullCharacter(MQTTPacketType, field: MQTTPacketField)
    /// The CONNECT protocol name is neither `MQTT` nor the MQTT 3.1 name `MQIsdp`
    /// [MQTT-3.1.2-1]. (`MQIsdp` decodes, so that a server can answer CONNACK 1.)
    case invalidProtocolName(String)
    /// The CONNECT reserved flag is set [MQTT-3.1.2-3].
    case reservedConnectFlagSet
    /// Will QoS is not 0 although the will flag is 0 [MQTT-3.1.2-13].
    case willQoSWithoutWillFlag(UInt8)
    /// Will retain is set although the will flag is 0 [MQTT-3.1.2-15].
    case willRetainWithoutWillFlag
    /// Will QoS 3 [MQTT-3.1.2-14].
    case invalidWillQoS
    /// Password flag set without the user name flag [MQTT-3.1.2-22].
    case passwordWithoutUsername
    /// CONNACK acknowledge flags use the reserved bits 7-1 (section 3.2.2.1).
    case reservedConnAckFlags(UInt8)
    /// CONNACK with session present 1 and a non-zero return code [MQTT-3.2.2-4].
    case sessionPresentWithRefusal(ConnectReturnCode)
    /// A CONNACK return code above 5, reserved (section 3.2.2.3, Table 3.1).
    case reservedConnectReturnCode(UInt8)
    /// PUBLISH with both QoS bits set [MQTT-3.3.1-4].
    case invalidPublishQoS
    /// PUBLISH at QoS 0 with DUP set [MQTT-3.3.1-2].
    case duplicateFlagAtQoS0
    /// A topic name or filter is invalid. In PUBLISH a wildcard breaks [MQTT-3.3.2-2]; the
    /// other cases name their section 4.7 statement.
    case invalidTopic(MQTTPacketType, TopicValidationError)
    /// A packet identifier of 0: [MQTT-2.3.1-1] for PUBLISH, SUBSCRIBE and UNSUBSCRIBE; an
    /// acknowledgement must repeat the (non-zero) identifier it answers: [MQTT-2.3.1-6] for
    /// PUBACK, PUBREC and PUBREL, [MQTT-4.3.3-2] for PUBCOMP, [MQTT-2.3.1-7] for SUBACK and
    /// UNSUBACK.
    case zeroPacketIdentifier(MQTTPacketType)
    /// SUBSCRIBE without any topic filter [MQTT-3.8.3-3].
    case emptySubscribe
    /// Requested QoS byte with reserved bits set, or QoS 3 ([MQTT-3-8.3-4], spelt so in the
    /// standard).
    case invalidRequestedQoS(UInt8)
    /// SUBACK return code other than 0x00, 0x01, 0x02, 0x80 [MQTT-3.9.3-2].
    case reservedSubAckReturnCode(UInt8)
    /// SUBACK without any return code: it needs one per topic filter of the SUBSCRIBE, which
    /// has at least one [MQTT-3.8.4-5].
    case emptySubAck
    /// UNSUBSCRIBE without any topic filter [MQTT-3.10.3-2].
    case emptyUnsubscribe

    // MQTT 5.0 only.

    /// An error of the MQTT 5.0 decoder: ``statement`` and ``section`` are those of MQTT 5.0.
    indirect case mqtt5(MQTTDecodingError)
    /// A Variable Byte Integer (the remaining length) uses more bytes than its value needs
    /// (MQTT 5.0 [MQTT-1.5.5-1]).
    case nonMinimalRemainingLength
    /// The properties of a packet or will break a rule (see ``MQTTPropertyError``).
    case invalidProperty(MQTTPropertyContext, MQTTPropertyError)
    /// A reason code the packet may not carry: CONNACK [MQTT-3.2.2-8], PUBACK [MQTT-3.4.2-1],
    /// PUBREC [MQTT-3.5.2-1], PUBREL [MQTT-3.6.2-1], PUBCOMP [MQTT-3.7.2-1], SUBACK
    /// [MQTT-3.9.3-2], UNSUBACK [MQTT-3.11.3-2], DISCONNECT [MQTT-3.14.2-1], AUTH [MQTT-3.15.2-1].
    case invalidReasonCode(MQTTPacketType, UInt8)
    /// SUBSCRIBE subscription options with reserved bits 6 and 7 set [MQTT-3.8.3-5].
    case reservedSubscriptionOptions(UInt8)
    /// SUBSCRIBE subscription options with Retain Handling 3, or Maximum QoS 3 (section 3.8.3.1:
    /// a Protocol Error).
    case invalidSubscriptionOptions(UInt8)
    /// No Local set on a Shared Subscription [MQTT-3.8.3-4].
    case noLocalOnSharedSubscription(String)
    /// A `$share/` filter without a share name [MQTT-4.8.2-1], or whose share name holds a
    /// wildcard or is not followed by `/` and a filter [MQTT-4.8.2-2].
    case invalidSharedSubscription(String)
    /// PUBLISH with an empty topic name and no Topic Alias (section 3.3.2.3.4: a Protocol
    /// Error).
    case emptyTopicWithoutAlias
    /// UNSUBACK without any reason code: it needs one per topic filter of the UNSUBSCRIBE
    /// (section 3.11.3).
    case emptyUnsubAck
    /// MQTT 5.0 CONNACK with session present 1 and a reason code other than Success
    /// [MQTT-3.2.2-6].
    case sessionPresentWithReasonCode(MQTTReasonCode)

    /// What is wrong, without the rule reference.
    public var reason: String {
        switch self {
        case .reservedPacketType(let type): "reserved packet type \(type)"
        case .invalidFixedHeaderFlags(let type, let flags):
            "\(type) fixed-header flags 0x\(String(flags, radix: 16)) differ from the required 0x\(String(type.requiredFlags ?? 0, radix: 16))"
        case .malformedRemainingLength: "remaining length uses more than four bytes"
        case .packetTooLarge(let size, let limit): "packet of \(size) bytes exceeds the limit of \(limit) bytes"
        case .truncated(let type, let field): "\(type) ends before its \(field) is complete"
        case .unexpectedTrailingBytes(let type, let count): "\(type) has \(count) bytes after its last field"
        case .unflaggedConnectField(let field): "CONNECT has bytes where the \(field) would be, but its flag is 0"
        case .invalidUTF8(let type, let field): "\(type) \(field) is not well-formed UTF-8"
        case .nullCharacter(let type, let field): "\(type) \(field) contains U+0000"
        case .invalidProtocolName(let name): "CONNECT protocol name '\(name)' is not 'MQTT'"
        case .reservedConnectFlagSet: "CONNECT reserved flag (bit 0) is set"
        case .willQoSWithoutWillFlag(let qos): "CONNECT sets will QoS \(qos) without the will flag"
        case .willRetainWithoutWillFlag: "CONNECT sets will retain without the will flag"
        case .invalidWillQoS: "CONNECT will QoS is 3"
        case .passwordWithoutUsername: "CONNECT has the password flag without the user name flag"
        case .reservedConnAckFlags(let flags): "CONNACK acknowledge flags 0x\(String(flags, radix: 16)) use reserved bits"
        case .sessionPresentWithRefusal(let code): "CONNACK has session present 1 with return code \(code)"
        case .reservedConnectReturnCode(let code): "CONNACK return code \(code) is reserved"
        case .invalidPublishQoS: "PUBLISH has both QoS bits set"
        case .duplicateFlagAtQoS0: "PUBLISH at QoS 0 has DUP set"
        case .invalidTopic(let type, let error): "\(type): \(error.reason)"
        case .zeroPacketIdentifier(let type): "\(type) has packet identifier 0"
        case .emptySubscribe: "SUBSCRIBE has no topic filter"
        case .invalidRequestedQoS(let byte): "SUBSCRIBE requested QoS byte 0x\(String(byte, radix: 16)) is invalid"
        case .reservedSubAckReturnCode(let code): "SUBACK return code 0x\(String(code, radix: 16)) is reserved"
        case .emptySubAck: "SUBACK has no return code"
        case .emptyUnsubscribe: "UNSUBSCRIBE has no topic filter"
        case .mqtt5(let error): error.reason
        case .nonMinimalRemainingLength: "remaining length uses more bytes than its value needs"
        case .invalidProperty(let context, let error): "\(context): \(error.reason)"
        case .invalidReasonCode(.connack, let code) where (1...5).contains(code):
            // An MQTT 3.1.1 server's refusal, read as 5.0: 1 is "unacceptable protocol version".
            "CONNACK reason code \(MQTTReasonCode.hex(code)) is not an MQTT 5.0 code; it is MQTT 3.1.1's return code \(code)"
                + (code == 1 ? " (unacceptable protocol version): the broker does not speak MQTT 5.0" : ": the broker answered in MQTT 3.1.1")
        case .invalidReasonCode(let type, let code):
            MQTTReasonCode(rawValue: code).map { "\(type) may not carry reason code \($0.description(in: type))" }
                ?? "\(type) reason code \(MQTTReasonCode.hex(code)) is not defined"
        case .reservedSubscriptionOptions(let byte): "SUBSCRIBE subscription options 0x\(String(byte, radix: 16)) use reserved bits 6 and 7"
        case .invalidSubscriptionOptions(let byte):
            byte & 0x03 == 3 ? "SUBSCRIBE subscription options 0x\(String(byte, radix: 16)) ask for QoS 3" : "SUBSCRIBE subscription options 0x\(String(byte, radix: 16)) have Retain Handling 3"
        case .noLocalOnSharedSubscription(let filter): "SUBSCRIBE sets No Local on the shared subscription '\(filter)'"
        case .invalidSharedSubscription(let filter): "SUBSCRIBE shared subscription '\(filter)' needs a share name without '+' or '#', then '/' and a topic filter"
        case .emptyTopicWithoutAlias: "PUBLISH has an empty topic name and no topic alias"
        case .emptyUnsubAck: "UNSUBACK has no reason code"
        case .sessionPresentWithReasonCode(let code): "CONNACK has session present 1 with reason code \(code)"
        }
    }

    /// The protocol version whose rules the error names: 5.0 for ``mqtt5(_:)``.
    public var protocolVersion: MQTTProtocolVersion {
        if case .mqtt5 = self { .v5 } else { .v311 }
    }

    /// The reason followed by the rule, for example
    /// `CONNECT reserved flag (bit 0) is set [MQTT-3.1.2-3]`.
    public var description: String { "\(reason) [\(reference)]" }
}
