/// Why bytes received from a peer are not a well-formed MQTT 3.1.1 packet.
///
/// Every case names the rule of the standard it enforces: ``statement`` is the normative
/// statement's identifier (for example `MQTT-3.1.2-3`), and ``reference`` falls back to the
/// section where the standard states a rule without an identifier. A conformance report can so
/// say exactly which rule a peer broke.
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
        }
    }

    /// The reason followed by the rule, for example
    /// `CONNECT reserved flag (bit 0) is set [MQTT-3.1.2-3]`.
    public var description: String { "\(reason) [\(reference)]" }
}
