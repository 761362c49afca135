/// Why the properties of an MQTT 5.0 packet are malformed or break a rule of the standard.
public enum MQTTPropertyError: Error, Sendable, Hashable {
    /// An identifier Table 2-4 does not define (section 2.2.2.2).
    case unknownIdentifier(UInt32)
    /// A property the packet may not carry (section 2.2.2.2: a Malformed Packet).
    case notAllowed(MQTTPropertyIdentifier)
    /// A property given twice where the standard allows it once ("It is a Protocol Error to
    /// include … more than once", in the property's section).
    case repeated(MQTTPropertyIdentifier)
    /// The properties end inside this property's value.
    case truncated(MQTTPropertyIdentifier)
    /// The Property Length announces more bytes than the packet has left (section 2.2.2.1).
    case lengthBeyondPacket(length: Int, available: Int)
    /// An identifier, the Property Length or a Subscription Identifier is a Variable Byte
    /// Integer of more than four bytes (section 1.5.5).
    case malformedVariableByteInteger
    /// A Variable Byte Integer uses more bytes than its value needs [MQTT-1.5.5-1].
    case nonMinimalVariableByteInteger
    /// A string is not well-formed UTF-8 [MQTT-1.5.4-1] (in a User Property [MQTT-1.5.7-1]).
    case invalidUTF8(MQTTPropertyIdentifier)
    /// A string contains U+0000 [MQTT-1.5.4-2] (in a User Property [MQTT-1.5.7-1]).
    case nullCharacter(MQTTPropertyIdentifier)
    /// A value the standard forbids: Topic Alias 0 [MQTT-3.3.2-8]; Receive Maximum,
    /// Maximum Packet Size or Subscription Identifier 0; a flag byte other than 0 or 1.
    case invalidValue(MQTTPropertyIdentifier, UInt32)
    /// A Response Topic with a wildcard [MQTT-3.3.2-14] or empty [MQTT-4.7.3-1].
    case invalidResponseTopic(TopicValidationError)

    /// What is wrong, without the rule.
    public var reason: String {
        switch self {
        case .unknownIdentifier(let id): "property identifier \(id) (\(MQTTReasonCode.hex(UInt8(truncatingIfNeeded: id)))) is not defined"
        case .notAllowed(let id): "\(id.name) is not allowed here"
        case .repeated(let id): "\(id.name) appears more than once"
        case .truncated(let id): "the properties end inside \(id.name)"
        case .lengthBeyondPacket(let length, let available): "property length \(length) exceeds the \(available) bytes left in the packet"
        case .malformedVariableByteInteger: "a variable byte integer uses more than four bytes"
        case .nonMinimalVariableByteInteger: "a variable byte integer uses more bytes than its value needs"
        case .invalidUTF8(let id): "\(id.name) is not well-formed UTF-8"
        case .nullCharacter(let id): "\(id.name) contains U+0000"
        case .invalidValue(let id, let value): "\(id.name) \(value) is not allowed"
        case .invalidResponseTopic(let error): "response_topic: \(error.reason)"
        }
    }

    /// The normative statement of MQTT 5.0 the properties break, if the standard gives one.
    public func statement(in context: MQTTPropertyContext) -> String? {
        switch self {
        case .nonMinimalVariableByteInteger: "MQTT-1.5.5-1"
        case .invalidUTF8(let id): id == .userProperty ? "MQTT-1.5.7-1" : "MQTT-1.5.4-1"
        case .nullCharacter(let id): id == .userProperty ? "MQTT-1.5.7-1" : "MQTT-1.5.4-2"
        case .invalidValue(.topicAlias, _): "MQTT-3.3.2-8"
        case .invalidResponseTopic(.wildcardInTopicName): "MQTT-3.3.2-14"
        case .invalidResponseTopic(.empty): "MQTT-4.7.3-1"
        default: nil
        }
    }

    /// The section of MQTT 5.0 that states the rule.
    public func section(in context: MQTTPropertyContext) -> String {
        switch self {
        case .unknownIdentifier, .notAllowed: "2.2.2.2"
        case .lengthBeyondPacket: "2.2.2.1"
        case .malformedVariableByteInteger, .nonMinimalVariableByteInteger: "1.5.5"
        case .invalidUTF8(let id), .nullCharacter(let id): id == .userProperty ? "1.5.7" : "1.5.4"
        case .repeated(let id), .truncated(let id), .invalidValue(let id, _): id.section(in: context)
        case .invalidResponseTopic: MQTTPropertyIdentifier.responseTopic.section(in: context)
        }
    }
}
