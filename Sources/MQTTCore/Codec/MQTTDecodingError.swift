/// Why bytes received from a peer are not a well-formed MQTT 3.1.1 packet.
///
/// Every case names the normative statement of the standard it enforces (``statement``), so a
/// conformance report can say exactly which rule a peer broke.
public enum MQTTDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Packet type 0 or 15, both reserved (section 2.2.1).
    case reservedPacketType(UInt8)
    /// Fixed-header flags differ from Table 2.2 [MQTT-2.2.2-1].
    case invalidFixedHeaderFlags(MQTTPacketType, flags: UInt8)
    /// The remaining length uses more than four bytes (section 2.2.3).
    case malformedRemainingLength
    /// The remaining length announces a packet larger than the configured maximum.
    case packetTooLarge(size: Int, limit: Int)
    /// The body ended before `field` was complete.
    case truncated(MQTTPacketType, field: String)
    /// The body holds bytes after its last field.
    case unexpectedTrailingBytes(MQTTPacketType, count: Int)
    /// A string field is not well-formed UTF-8 [MQTT-1.5.3-1].
    case invalidUTF8(MQTTPacketType, field: String)
    /// A string field contains U+0000 [MQTT-1.5.3-2].
    case nullCharacter(MQTTPacketType, field: String)
    /// The CONNECT protocol name is neither `MQTT` nor `MQIsdp` [MQTT-3.1.2-1].
    case invalidProtocolName(String)
    /// The CONNECT reserved flag is set [MQTT-3.1.2-3].
    case reservedConnectFlagSet
    /// Will QoS or will retain set without the will flag [MQTT-3.1.2-11].
    case willFieldsWithoutWillFlag
    /// Will QoS 3 [MQTT-3.1.2-14].
    case invalidWillQoS
    /// Password flag set without the user name flag [MQTT-3.1.2-22].
    case passwordWithoutUsername
    /// CONNACK acknowledge flags use reserved bits 7-1 (section 3.2.2.1).
    case reservedConnAckFlags(UInt8)
    /// A CONNACK return code above 5 (section 3.2.2.3).
    case reservedConnectReturnCode(UInt8)
    /// PUBLISH with both QoS bits set [MQTT-3.3.1-4].
    case invalidPublishQoS
    /// PUBLISH at QoS 0 with DUP set [MQTT-3.3.1-2].
    case duplicateFlagAtQoS0
    /// A topic name or filter is invalid (the error names the statement).
    case invalidTopic(MQTTPacketType, TopicValidationError)
    /// A packet identifier of 0 where a non-zero one is required [MQTT-2.3.1-1].
    case zeroPacketIdentifier(MQTTPacketType)
    /// SUBSCRIBE without any topic filter [MQTT-3.8.3-3].
    case emptySubscribe
    /// Requested QoS byte with reserved bits set or QoS 3 [MQTT-3.8.3-4].
    case invalidRequestedQoS(UInt8)
    /// SUBACK return code other than 0x00, 0x01, 0x02, 0x80 [MQTT-3.9.3-2].
    case reservedSubAckReturnCode(UInt8)
    /// SUBACK without any return code (section 3.9.3).
    case emptySubAck
    /// UNSUBSCRIBE without any topic filter [MQTT-3.10.3-2].
    case emptyUnsubscribe

    /// The identifier of the violated normative statement, for example `MQTT-3.1.2-3`, or the
    /// section where the standard states the rule without an identifier.
    public var statement: String {
        switch self {
        case .reservedPacketType: "MQTT-2.2.1"
        case .invalidFixedHeaderFlags: "MQTT-2.2.2-1"
        case .malformedRemainingLength: "MQTT-2.2.3"
        case .packetTooLarge: "limit"
        case .truncated, .unexpectedTrailingBytes: "MQTT-2.2.3"
        case .invalidUTF8: "MQTT-1.5.3-1"
        case .nullCharacter: "MQTT-1.5.3-2"
        case .invalidProtocolName: "MQTT-3.1.2-1"
        case .reservedConnectFlagSet: "MQTT-3.1.2-3"
        case .willFieldsWithoutWillFlag: "MQTT-3.1.2-11"
        case .invalidWillQoS: "MQTT-3.1.2-14"
        case .passwordWithoutUsername: "MQTT-3.1.2-22"
        case .reservedConnAckFlags: "MQTT-3.2.2.1"
        case .reservedConnectReturnCode: "MQTT-3.2.2.3"
        case .invalidPublishQoS: "MQTT-3.3.1-4"
        case .duplicateFlagAtQoS0: "MQTT-3.3.1-2"
        case .invalidTopic(_, let error): error.statement
        case .zeroPacketIdentifier: "MQTT-2.3.1-1"
        case .emptySubscribe: "MQTT-3.8.3-3"
        case .invalidRequestedQoS: "MQTT-3.8.3-4"
        case .reservedSubAckReturnCode: "MQTT-3.9.3-2"
        case .emptySubAck: "MQTT-3.9.3"
        case .emptyUnsubscribe: "MQTT-3.10.3-2"
        }
    }

    public var description: String {
        let text: String
        switch self {
        case .reservedPacketType(let type): text = "reserved packet type \(type)"
        case .invalidFixedHeaderFlags(let type, let flags):
            text = "\(type) fixed-header flags 0x\(String(flags, radix: 16)) differ from the required 0x\(String(type.requiredFlags ?? 0, radix: 16))"
        case .malformedRemainingLength: text = "remaining length uses more than four bytes"
        case .packetTooLarge(let size, let limit): text = "packet of \(size) bytes exceeds the limit of \(limit) bytes"
        case .truncated(let type, let field): text = "\(type) ends before its \(field) is complete"
        case .unexpectedTrailingBytes(let type, let count): text = "\(type) has \(count) bytes after its last field"
        case .invalidUTF8(let type, let field): text = "\(type) \(field) is not well-formed UTF-8"
        case .nullCharacter(let type, let field): text = "\(type) \(field) contains U+0000"
        case .invalidProtocolName(let name): text = "CONNECT protocol name '\(name)' is not 'MQTT'"
        case .reservedConnectFlagSet: text = "CONNECT reserved flag (bit 0) is set"
        case .willFieldsWithoutWillFlag: text = "CONNECT sets will QoS or will retain without the will flag"
        case .invalidWillQoS: text = "CONNECT will QoS is 3"
        case .passwordWithoutUsername: text = "CONNECT has the password flag without the user name flag"
        case .reservedConnAckFlags(let flags): text = "CONNACK acknowledge flags 0x\(String(flags, radix: 16)) use reserved bits"
        case .reservedConnectReturnCode(let code): text = "CONNACK return code \(code) is reserved"
        case .invalidPublishQoS: text = "PUBLISH has both QoS bits set"
        case .duplicateFlagAtQoS0: text = "PUBLISH at QoS 0 has DUP set"
        case .invalidTopic(let type, let error): text = "\(type): \(error)"
        case .zeroPacketIdentifier(let type): text = "\(type) has packet identifier 0"
        case .emptySubscribe: text = "SUBSCRIBE has no topic filter"
        case .invalidRequestedQoS(let byte): text = "SUBSCRIBE requested QoS byte 0x\(String(byte, radix: 16)) is invalid"
        case .reservedSubAckReturnCode(let code): text = "SUBACK return code 0x\(String(code, radix: 16)) is reserved"
        case .emptySubAck: text = "SUBACK has no return code"
        case .emptyUnsubscribe: text = "UNSUBSCRIBE has no topic filter"
        }
        if case .invalidTopic = self { return text }
        return "\(text) [\(statement)]"
    }
}

/// Why a packet cannot be encoded.
public enum MQTTEncodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The packet would need a remaining length above 268,435,455 bytes.
    case packetTooLarge(remainingLength: Int)
    /// A string or binary field is longer than 65,535 bytes.
    case fieldTooLong(field: String, byteCount: Int)

    public var description: String {
        switch self {
        case .packetTooLarge(let length): "remaining length \(length) exceeds 268435455 bytes"
        case .fieldTooLong(let field, let count): "\(field) is \(count) bytes long, more than 65535"
        }
    }
}
