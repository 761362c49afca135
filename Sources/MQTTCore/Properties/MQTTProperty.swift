import NIOCore

/// One MQTT 5.0 property with its typed value (section 2.2.2.2, Table 2-4).
///
/// Byte-valued flags (payload format indicator, maximum QoS, the `…Available` and `request…`
/// properties) keep their byte, so that a value the standard forbids can be built, sent and
/// reported; the codec refuses such values when it encodes or decodes them.
public enum MQTTProperty: Sendable, Hashable, CustomStringConvertible {
    case payloadFormatIndicator(UInt8)
    case messageExpiryInterval(UInt32)
    case contentType(String)
    case responseTopic(String)
    case correlationData(ByteBuffer)
    /// A Variable Byte Integer: 1 to 268,435,455.
    case subscriptionIdentifier(UInt32)
    case sessionExpiryInterval(UInt32)
    case assignedClientIdentifier(String)
    case serverKeepAlive(UInt16)
    case authenticationMethod(String)
    case authenticationData(ByteBuffer)
    case requestProblemInformation(UInt8)
    case willDelayInterval(UInt32)
    case requestResponseInformation(UInt8)
    case responseInformation(String)
    case serverReference(String)
    case reasonString(String)
    case receiveMaximum(UInt16)
    case topicAliasMaximum(UInt16)
    case topicAlias(UInt16)
    case maximumQoS(UInt8)
    case retainAvailable(UInt8)
    /// A name and value; the only property that may repeat anywhere, kept in order.
    case userProperty(name: String, value: String)
    case maximumPacketSize(UInt32)
    case wildcardSubscriptionAvailable(UInt8)
    case subscriptionIdentifierAvailable(UInt8)
    case sharedSubscriptionAvailable(UInt8)

    /// The property's identifier.
    public var identifier: MQTTPropertyIdentifier {
        switch self {
        case .payloadFormatIndicator: .payloadFormatIndicator
        case .messageExpiryInterval: .messageExpiryInterval
        case .contentType: .contentType
        case .responseTopic: .responseTopic
        case .correlationData: .correlationData
        case .subscriptionIdentifier: .subscriptionIdentifier
        case .sessionExpiryInterval: .sessionExpiryInterval
        case .assignedClientIdentifier: .assignedClientIdentifier
        case .serverKeepAlive: .serverKeepAlive
        case .authenticationMethod: .authenticationMethod
        case .authenticationData: .authenticationData
        case .requestProblemInformation: .requestProblemInformation
        case .willDelayInterval: .willDelayInterval
        case .requestResponseInformation: .requestResponseInformation
        case .responseInformation: .responseInformation
        case .serverReference: .serverReference
        case .reasonString: .reasonString
        case .receiveMaximum: .receiveMaximum
        case .topicAliasMaximum: .topicAliasMaximum
        case .topicAlias: .topicAlias
        case .maximumQoS: .maximumQoS
        case .retainAvailable: .retainAvailable
        case .userProperty: .userProperty
        case .maximumPacketSize: .maximumPacketSize
        case .wildcardSubscriptionAvailable: .wildcardSubscriptionAvailable
        case .subscriptionIdentifierAvailable: .subscriptionIdentifierAvailable
        case .sharedSubscriptionAvailable: .sharedSubscriptionAvailable
        }
    }

    /// The value with its data type.
    public var value: MQTTPropertyValue {
        switch self {
        case .payloadFormatIndicator(let v), .requestProblemInformation(let v), .requestResponseInformation(let v),
            .maximumQoS(let v), .retainAvailable(let v), .wildcardSubscriptionAvailable(let v),
            .subscriptionIdentifierAvailable(let v), .sharedSubscriptionAvailable(let v):
            .byte(v)
        case .serverKeepAlive(let v), .receiveMaximum(let v), .topicAliasMaximum(let v), .topicAlias(let v):
            .twoByteInteger(v)
        case .messageExpiryInterval(let v), .sessionExpiryInterval(let v), .willDelayInterval(let v), .maximumPacketSize(let v):
            .fourByteInteger(v)
        case .subscriptionIdentifier(let v):
            .variableByteInteger(v)
        case .contentType(let s), .responseTopic(let s), .assignedClientIdentifier(let s), .authenticationMethod(let s),
            .responseInformation(let s), .serverReference(let s), .reasonString(let s):
            .string(s)
        case .correlationData(let b), .authenticationData(let b):
            .binary(b)
        case .userProperty(let name, let value):
            .stringPair(name, value)
        }
    }

    /// The property `identifier` with `value`, or `nil` when the value is not of the
    /// identifier's data type.
    public init?(identifier: MQTTPropertyIdentifier, value: MQTTPropertyValue) {
        switch (identifier, value) {
        case (.payloadFormatIndicator, .byte(let v)): self = .payloadFormatIndicator(v)
        case (.requestProblemInformation, .byte(let v)): self = .requestProblemInformation(v)
        case (.requestResponseInformation, .byte(let v)): self = .requestResponseInformation(v)
        case (.maximumQoS, .byte(let v)): self = .maximumQoS(v)
        case (.retainAvailable, .byte(let v)): self = .retainAvailable(v)
        case (.wildcardSubscriptionAvailable, .byte(let v)): self = .wildcardSubscriptionAvailable(v)
        case (.subscriptionIdentifierAvailable, .byte(let v)): self = .subscriptionIdentifierAvailable(v)
        case (.sharedSubscriptionAvailable, .byte(let v)): self = .sharedSubscriptionAvailable(v)
        case (.serverKeepAlive, .twoByteInteger(let v)): self = .serverKeepAlive(v)
        case (.receiveMaximum, .twoByteInteger(let v)): self = .receiveMaximum(v)
        case (.topicAliasMaximum, .twoByteInteger(let v)): self = .topicAliasMaximum(v)
        case (.topicAlias, .twoByteInteger(let v)): self = .topicAlias(v)
        case (.messageExpiryInterval, .fourByteInteger(let v)): self = .messageExpiryInterval(v)
        case (.sessionExpiryInterval, .fourByteInteger(let v)): self = .sessionExpiryInterval(v)
        case (.willDelayInterval, .fourByteInteger(let v)): self = .willDelayInterval(v)
        case (.maximumPacketSize, .fourByteInteger(let v)): self = .maximumPacketSize(v)
        case (.subscriptionIdentifier, .variableByteInteger(let v)): self = .subscriptionIdentifier(v)
        case (.contentType, .string(let s)): self = .contentType(s)
        case (.responseTopic, .string(let s)): self = .responseTopic(s)
        case (.assignedClientIdentifier, .string(let s)): self = .assignedClientIdentifier(s)
        case (.authenticationMethod, .string(let s)): self = .authenticationMethod(s)
        case (.responseInformation, .string(let s)): self = .responseInformation(s)
        case (.serverReference, .string(let s)): self = .serverReference(s)
        case (.reasonString, .string(let s)): self = .reasonString(s)
        case (.correlationData, .binary(let b)): self = .correlationData(b)
        case (.authenticationData, .binary(let b)): self = .authenticationData(b)
        case (.userProperty, .stringPair(let name, let value)): self = .userProperty(name: name, value: value)
        default: return nil
        }
    }

    /// `topic_alias=3`, `user_property=k:v`; binary values as their length (authentication
    /// data is a secret), and the value of a User Property whose name looks secret
    /// (``MQTTProperties/looksSecret(_:)``) as its length too.
    public var description: String {
        if case .userProperty(let name, let value) = self, MQTTProperties.looksSecret(name) {
            return "\(identifier.name)=\(name):(\(value.utf8.count) bytes)"
        }
        return "\(identifier.name)=\(value)"
    }
}

/// A property value with its data type (section 1.5).
public enum MQTTPropertyValue: Sendable, Hashable, CustomStringConvertible {
    case byte(UInt8)
    case twoByteInteger(UInt16)
    case fourByteInteger(UInt32)
    case variableByteInteger(UInt32)
    case string(String)
    case stringPair(String, String)
    case binary(ByteBuffer)

    /// The value's data type.
    public var type: MQTTPropertyValueType {
        switch self {
        case .byte: .byte
        case .twoByteInteger: .twoByteInteger
        case .fourByteInteger: .fourByteInteger
        case .variableByteInteger: .variableByteInteger
        case .string: .utf8String
        case .stringPair: .utf8StringPair
        case .binary: .binaryData
        }
    }

    public var description: String {
        switch self {
        case .byte(let v): String(v)
        case .twoByteInteger(let v): String(v)
        case .fourByteInteger(let v), .variableByteInteger(let v): String(v)
        case .string(let s): s
        case .stringPair(let name, let value): "\(name):\(value)"
        case .binary(let b): "(\(b.readableBytes) bytes)"
        }
    }
}
