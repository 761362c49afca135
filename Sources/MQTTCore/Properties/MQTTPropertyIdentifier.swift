/// The identifier of an MQTT 5.0 property (section 2.2.2.2, Table 2-4), with the data type of
/// its value and the packets that may carry it.
public enum MQTTPropertyIdentifier: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case payloadFormatIndicator = 0x01
    case messageExpiryInterval = 0x02
    case contentType = 0x03
    case responseTopic = 0x08
    case correlationData = 0x09
    case subscriptionIdentifier = 0x0B
    case sessionExpiryInterval = 0x11
    case assignedClientIdentifier = 0x12
    case serverKeepAlive = 0x13
    case authenticationMethod = 0x15
    case authenticationData = 0x16
    case requestProblemInformation = 0x17
    case willDelayInterval = 0x18
    case requestResponseInformation = 0x19
    case responseInformation = 0x1A
    case serverReference = 0x1C
    case reasonString = 0x1F
    case receiveMaximum = 0x21
    case topicAliasMaximum = 0x22
    case topicAlias = 0x23
    case maximumQoS = 0x24
    case retainAvailable = 0x25
    case userProperty = 0x26
    case maximumPacketSize = 0x27
    case wildcardSubscriptionAvailable = 0x28
    case subscriptionIdentifierAvailable = 0x29
    case sharedSubscriptionAvailable = 0x2A

    /// The data type of the property's value (section 1.5).
    public var valueType: MQTTPropertyValueType {
        switch self {
        case .payloadFormatIndicator, .requestProblemInformation, .requestResponseInformation, .maximumQoS,
            .retainAvailable, .wildcardSubscriptionAvailable, .subscriptionIdentifierAvailable,
            .sharedSubscriptionAvailable:
            .byte
        case .serverKeepAlive, .receiveMaximum, .topicAliasMaximum, .topicAlias:
            .twoByteInteger
        case .messageExpiryInterval, .sessionExpiryInterval, .willDelayInterval, .maximumPacketSize:
            .fourByteInteger
        case .subscriptionIdentifier:
            .variableByteInteger
        case .contentType, .responseTopic, .assignedClientIdentifier, .authenticationMethod, .responseInformation,
            .serverReference, .reasonString:
            .utf8String
        case .correlationData, .authenticationData:
            .binaryData
        case .userProperty:
            .utf8StringPair
        }
    }

    /// The snake-case name scenarios use, for example `topic_alias`.
    public var name: String {
        switch self {
        case .payloadFormatIndicator: "payload_format_indicator"
        case .messageExpiryInterval: "message_expiry_interval"
        case .contentType: "content_type"
        case .responseTopic: "response_topic"
        case .correlationData: "correlation_data"
        case .subscriptionIdentifier: "subscription_identifier"
        case .sessionExpiryInterval: "session_expiry_interval"
        case .assignedClientIdentifier: "assigned_client_identifier"
        case .serverKeepAlive: "server_keep_alive"
        case .authenticationMethod: "authentication_method"
        case .authenticationData: "authentication_data"
        case .requestProblemInformation: "request_problem_information"
        case .willDelayInterval: "will_delay_interval"
        case .requestResponseInformation: "request_response_information"
        case .responseInformation: "response_information"
        case .serverReference: "server_reference"
        case .reasonString: "reason_string"
        case .receiveMaximum: "receive_maximum"
        case .topicAliasMaximum: "topic_alias_maximum"
        case .topicAlias: "topic_alias"
        case .maximumQoS: "maximum_qos"
        case .retainAvailable: "retain_available"
        case .userProperty: "user_property"
        case .maximumPacketSize: "maximum_packet_size"
        case .wildcardSubscriptionAvailable: "wildcard_subscription_available"
        case .subscriptionIdentifierAvailable: "subscription_identifier_available"
        case .sharedSubscriptionAvailable: "shared_subscription_available"
        }
    }

    /// `topic_alias (0x23)`.
    public var description: String { "\(name) (\(MQTTReasonCode.hex(rawValue)))" }

    /// Parses a snake-case name (`topic_alias`) or a number (`35`, `0x23`).
    public init?(name: String) {
        if name.hasPrefix("0x") || name.hasPrefix("0X") {
            guard let value = UInt8(name.dropFirst(2), radix: 16), let id = Self(rawValue: value) else { return nil }
            self = id
        } else if let value = UInt8(name) {
            guard let id = Self(rawValue: value) else { return nil }
            self = id
        } else {
            guard let id = Self.allCases.first(where: { $0.name == name }) else { return nil }
            self = id
        }
    }

    /// Whether the property may appear more than once in `context`: User Property anywhere,
    /// Subscription Identifier in PUBLISH (one per matching subscription, section 3.3.4).
    public func mayRepeat(in context: MQTTPropertyContext) -> Bool {
        switch self {
        case .userProperty: true
        case .subscriptionIdentifier: context == .publish
        default: false
        }
    }

    /// Whether `context` may carry the property.
    public func isAllowed(in context: MQTTPropertyContext) -> Bool {
        context.allowedMask & (1 << UInt64(rawValue)) != 0
    }

    /// The section of the standard that defines the property in `context`, for example
    /// `3.3.2.3.4` (Topic Alias in PUBLISH); `2.2.2.2` when `context` may not carry it.
    public func section(in context: MQTTPropertyContext) -> String {
        guard let index = context.identifiers.firstIndex(of: self) else { return "2.2.2.2" }
        return "\(context.propertiesSection).\(index + 2)"
    }
}

/// The data types of property values (section 1.5, Table 2-4).
public enum MQTTPropertyValueType: Sendable, Hashable, CustomStringConvertible {
    case byte
    case twoByteInteger
    case fourByteInteger
    case variableByteInteger
    case utf8String
    case utf8StringPair
    case binaryData

    /// The type's name as the standard writes it, for example `Two Byte Integer`.
    public var description: String {
        switch self {
        case .byte: "Byte"
        case .twoByteInteger: "Two Byte Integer"
        case .fourByteInteger: "Four Byte Integer"
        case .variableByteInteger: "Variable Byte Integer"
        case .utf8String: "UTF-8 Encoded String"
        case .utf8StringPair: "UTF-8 String Pair"
        case .binaryData: "Binary Data"
        }
    }
}

/// Where a set of properties sits: in one of the eleven packets that carry properties, or among
/// the will properties in a CONNECT payload.
public enum MQTTPropertyContext: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case connect
    case will
    case connack
    case publish
    case puback
    case pubrec
    case pubrel
    case pubcomp
    case subscribe
    case suback
    case unsubscribe
    case unsuback
    case disconnect
    case auth

    /// The properties of a packet type; `nil` for PINGREQ and PINGRESP, which have none.
    public init?(_ type: MQTTPacketType) {
        switch type {
        case .connect: self = .connect
        case .connack: self = .connack
        case .publish: self = .publish
        case .puback: self = .puback
        case .pubrec: self = .pubrec
        case .pubrel: self = .pubrel
        case .pubcomp: self = .pubcomp
        case .subscribe: self = .subscribe
        case .suback: self = .suback
        case .unsubscribe: self = .unsubscribe
        case .unsuback: self = .unsuback
        case .disconnect: self = .disconnect
        case .auth: self = .auth
        case .pingreq, .pingresp: return nil
        }
    }

    /// The packet the properties travel in (CONNECT for will properties).
    public var packetType: MQTTPacketType {
        switch self {
        case .connect, .will: .connect
        case .connack: .connack
        case .publish: .publish
        case .puback: .puback
        case .pubrec: .pubrec
        case .pubrel: .pubrel
        case .pubcomp: .pubcomp
        case .subscribe: .subscribe
        case .suback: .suback
        case .unsubscribe: .unsubscribe
        case .unsuback: .unsuback
        case .disconnect: .disconnect
        case .auth: .auth
        }
    }

    /// `PUBLISH properties`, `CONNECT will properties`.
    public var description: String { self == .will ? "CONNECT will properties" : "\(packetType) properties" }

    /// The properties `context` may carry, in the order of their sections in the standard
    /// (the first is defined in section ``propertiesSection``.2, and so on).
    public var identifiers: [MQTTPropertyIdentifier] {
        switch self {
        case .connect:
            [.sessionExpiryInterval, .receiveMaximum, .maximumPacketSize, .topicAliasMaximum, .requestResponseInformation,
             .requestProblemInformation, .userProperty, .authenticationMethod, .authenticationData]
        case .will:
            [.willDelayInterval, .payloadFormatIndicator, .messageExpiryInterval, .contentType, .responseTopic,
             .correlationData, .userProperty]
        case .connack:
            [.sessionExpiryInterval, .receiveMaximum, .maximumQoS, .retainAvailable, .maximumPacketSize,
             .assignedClientIdentifier, .topicAliasMaximum, .reasonString, .userProperty, .wildcardSubscriptionAvailable,
             .subscriptionIdentifierAvailable, .sharedSubscriptionAvailable, .serverKeepAlive, .responseInformation,
             .serverReference, .authenticationMethod, .authenticationData]
        case .publish:
            [.payloadFormatIndicator, .messageExpiryInterval, .topicAlias, .responseTopic, .correlationData, .userProperty,
             .subscriptionIdentifier, .contentType]
        case .puback, .pubrec, .pubrel, .pubcomp, .suback, .unsuback:
            [.reasonString, .userProperty]
        case .subscribe:
            [.subscriptionIdentifier, .userProperty]
        case .unsubscribe:
            [.userProperty]
        case .disconnect:
            [.sessionExpiryInterval, .reasonString, .userProperty, .serverReference]
        case .auth:
            [.authenticationMethod, .authenticationData, .reasonString, .userProperty]
        }
    }

    /// The section that lists the properties, for example `3.3.2.3` for PUBLISH.
    public var propertiesSection: String {
        switch self {
        case .connect: "3.1.2.11"
        case .will: "3.1.3.2"
        case .connack: "3.2.2.3"
        case .publish: "3.3.2.3"
        case .puback: "3.4.2.2"
        case .pubrec: "3.5.2.2"
        case .pubrel: "3.6.2.2"
        case .pubcomp: "3.7.2.2"
        case .subscribe: "3.8.2.1"
        case .suback: "3.9.2.1"
        case .unsubscribe: "3.10.2.1"
        case .unsuback: "3.11.2.1"
        case .disconnect: "3.14.2.2"
        case .auth: "3.15.2.2"
        }
    }
}

extension MQTTPropertyContext {
    /// ``identifiers`` as a bit set over identifier values (all are below 64), for the decoder's
    /// check of every property it reads.
    var allowedMask: UInt64 {
        switch self {
        case .connect: Self.connectMask
        case .will: Self.willMask
        case .connack: Self.connackMask
        case .publish: Self.publishMask
        case .puback, .pubrec, .pubrel, .pubcomp, .suback, .unsuback: Self.acknowledgementMask
        case .subscribe: Self.subscribeMask
        case .unsubscribe: Self.unsubscribeMask
        case .disconnect: Self.disconnectMask
        case .auth: Self.authMask
        }
    }

    private static func mask(_ context: MQTTPropertyContext) -> UInt64 {
        context.identifiers.reduce(0) { $0 | (1 << UInt64($1.rawValue)) }
    }

    private static let connectMask = mask(.connect)
    private static let willMask = mask(.will)
    private static let connackMask = mask(.connack)
    private static let publishMask = mask(.publish)
    private static let acknowledgementMask = mask(.puback)
    private static let subscribeMask = mask(.subscribe)
    private static let unsubscribeMask = mask(.unsubscribe)
    private static let disconnectMask = mask(.disconnect)
    private static let authMask = mask(.auth)
}
