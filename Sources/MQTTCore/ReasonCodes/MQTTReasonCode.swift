/// An MQTT 5.0 reason code (section 2.4, Table 2-6): the one-byte outcome that CONNACK, PUBACK,
/// PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT and AUTH carry. Values below 0x80
/// report success, 0x80 and above failure.
///
/// Value 0x00 has three names in the standard, by packet: Success, Normal disconnection
/// (DISCONNECT) and Granted QoS 0 (SUBACK); ``name(in:)`` gives the one a packet uses, and
/// ``init(name:)`` accepts all three.
///
/// MQTT 3.1.1 packets hold the same values where 3.1.1 has a code of the same meaning (see
/// ``ConnAckPacket/returnCode`` and ``SubAckPacket/returnCodes``).
public enum MQTTReasonCode: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case success = 0x00
    case grantedQoS1 = 0x01
    case grantedQoS2 = 0x02
    case disconnectWithWillMessage = 0x04
    case noMatchingSubscribers = 0x10
    case noSubscriptionExisted = 0x11
    case continueAuthentication = 0x18
    case reAuthenticate = 0x19
    case unspecifiedError = 0x80
    case malformedPacket = 0x81
    case protocolError = 0x82
    case implementationSpecificError = 0x83
    case unsupportedProtocolVersion = 0x84
    case clientIdentifierNotValid = 0x85
    case badUserNameOrPassword = 0x86
    case notAuthorized = 0x87
    case serverUnavailable = 0x88
    case serverBusy = 0x89
    case banned = 0x8A
    case serverShuttingDown = 0x8B
    case badAuthenticationMethod = 0x8C
    case keepAliveTimeout = 0x8D
    case sessionTakenOver = 0x8E
    case topicFilterInvalid = 0x8F
    case topicNameInvalid = 0x90
    case packetIdentifierInUse = 0x91
    case packetIdentifierNotFound = 0x92
    case receiveMaximumExceeded = 0x93
    case topicAliasInvalid = 0x94
    case packetTooLarge = 0x95
    case messageRateTooHigh = 0x96
    case quotaExceeded = 0x97
    case administrativeAction = 0x98
    case payloadFormatInvalid = 0x99
    case retainNotSupported = 0x9A
    case qosNotSupported = 0x9B
    case useAnotherServer = 0x9C
    case serverMoved = 0x9D
    case sharedSubscriptionsNotSupported = 0x9E
    case connectionRateExceeded = 0x9F
    case maximumConnectTime = 0xA0
    case subscriptionIdentifiersNotSupported = 0xA1
    case wildcardSubscriptionsNotSupported = 0xA2

    /// Alias of ``success`` as DISCONNECT names it.
    public static let normalDisconnection = MQTTReasonCode.success
    /// Alias of ``success`` as SUBACK names it.
    public static let grantedQoS0 = MQTTReasonCode.success

    /// Whether the code reports a failure (0x80 and above, section 2.4).
    public var isFailure: Bool { rawValue >= 0x80 }

    /// The snake-case name scenarios use, from the standard's name, for example
    /// `not_authorized`. Value 0x00 is `success` here; see ``name(in:)``.
    public var name: String {
        switch self {
        case .success: "success"
        case .grantedQoS1: "granted_qos_1"
        case .grantedQoS2: "granted_qos_2"
        case .disconnectWithWillMessage: "disconnect_with_will_message"
        case .noMatchingSubscribers: "no_matching_subscribers"
        case .noSubscriptionExisted: "no_subscription_existed"
        case .continueAuthentication: "continue_authentication"
        case .reAuthenticate: "re_authenticate"
        case .unspecifiedError: "unspecified_error"
        case .malformedPacket: "malformed_packet"
        case .protocolError: "protocol_error"
        case .implementationSpecificError: "implementation_specific_error"
        case .unsupportedProtocolVersion: "unsupported_protocol_version"
        case .clientIdentifierNotValid: "client_identifier_not_valid"
        case .badUserNameOrPassword: "bad_user_name_or_password"
        case .notAuthorized: "not_authorized"
        case .serverUnavailable: "server_unavailable"
        case .serverBusy: "server_busy"
        case .banned: "banned"
        case .serverShuttingDown: "server_shutting_down"
        case .badAuthenticationMethod: "bad_authentication_method"
        case .keepAliveTimeout: "keep_alive_timeout"
        case .sessionTakenOver: "session_taken_over"
        case .topicFilterInvalid: "topic_filter_invalid"
        case .topicNameInvalid: "topic_name_invalid"
        case .packetIdentifierInUse: "packet_identifier_in_use"
        case .packetIdentifierNotFound: "packet_identifier_not_found"
        case .receiveMaximumExceeded: "receive_maximum_exceeded"
        case .topicAliasInvalid: "topic_alias_invalid"
        case .packetTooLarge: "packet_too_large"
        case .messageRateTooHigh: "message_rate_too_high"
        case .quotaExceeded: "quota_exceeded"
        case .administrativeAction: "administrative_action"
        case .payloadFormatInvalid: "payload_format_invalid"
        case .retainNotSupported: "retain_not_supported"
        case .qosNotSupported: "qos_not_supported"
        case .useAnotherServer: "use_another_server"
        case .serverMoved: "server_moved"
        case .sharedSubscriptionsNotSupported: "shared_subscriptions_not_supported"
        case .connectionRateExceeded: "connection_rate_exceeded"
        case .maximumConnectTime: "maximum_connect_time"
        case .subscriptionIdentifiersNotSupported: "subscription_identifiers_not_supported"
        case .wildcardSubscriptionsNotSupported: "wildcard_subscriptions_not_supported"
        }
    }

    /// The name `packet` gives the code: 0x00 is `normal_disconnection` in DISCONNECT and
    /// `granted_qos_0` in SUBACK; every other code has one name.
    public func name(in packet: MQTTPacketType) -> String {
        guard self == .success else { return name }
        switch packet {
        case .disconnect: return "normal_disconnection"
        case .suback: return "granted_qos_0"
        default: return name
        }
    }

    /// `0x87 (not_authorized)`.
    public var description: String { "\(Self.hex(rawValue)) (\(name))" }

    /// `0x87 (not_authorized)`, with the name `packet` uses.
    public func description(in packet: MQTTPacketType) -> String { "\(Self.hex(rawValue)) (\(name(in: packet)))" }

    /// Parses a name (`not_authorized`, `normal_disconnection`, `granted_qos_0`; case and
    /// spaces as the standard writes them are accepted too, `Not authorized`) or a number
    /// (`135`, `0x87`).
    public init?(name: String) {
        let text = name.trimmingCharacters(in: " ")
        if let number = Self.number(text) {
            guard let code = MQTTReasonCode(rawValue: number) else { return nil }
            self = code
            return
        }
        let key = String(text.lowercased().map { $0 == " " || $0 == "-" ? "_" : $0 })
        switch key {
        case "normal_disconnection", "granted_qos_0": self = .success
        default:
            guard let code = Self.allCases.first(where: { $0.name == key }) else { return nil }
            self = code
        }
    }

    /// The reason codes `packet` may carry (Table 2-6 and each packet's own table); empty for
    /// the packets that carry none.
    public static func allowed(in packet: MQTTPacketType) -> [MQTTReasonCode] {
        allCases.filter { $0.isAllowed(in: packet) }
    }

    /// Whether `packet` may carry this code: Table 2-6 with each packet's own table
    /// (section 3.2.2.2, 3.4.2.1, 3.5.2.1, 3.6.2.1, 3.7.2.1, 3.9.3, 3.11.3, 3.14.2.1,
    /// 3.15.2.1).
    public func isAllowed(in packet: MQTTPacketType) -> Bool {
        switch packet {
        case .connack:
            switch self {
            case .success, .unspecifiedError, .malformedPacket, .protocolError, .implementationSpecificError,
                .unsupportedProtocolVersion, .clientIdentifierNotValid, .badUserNameOrPassword, .notAuthorized,
                .serverUnavailable, .serverBusy, .banned, .badAuthenticationMethod, .topicNameInvalid, .packetTooLarge,
                .quotaExceeded, .payloadFormatInvalid, .retainNotSupported, .qosNotSupported, .useAnotherServer,
                .serverMoved, .connectionRateExceeded:
                return true
            default: return false
            }
        case .puback, .pubrec:
            switch self {
            case .success, .noMatchingSubscribers, .unspecifiedError, .implementationSpecificError, .notAuthorized,
                .topicNameInvalid, .packetIdentifierInUse, .quotaExceeded, .payloadFormatInvalid:
                return true
            default: return false
            }
        case .pubrel, .pubcomp:
            return self == .success || self == .packetIdentifierNotFound
        case .suback:
            switch self {
            case .success, .grantedQoS1, .grantedQoS2, .unspecifiedError, .implementationSpecificError, .notAuthorized,
                .topicFilterInvalid, .packetIdentifierInUse, .quotaExceeded, .sharedSubscriptionsNotSupported,
                .subscriptionIdentifiersNotSupported, .wildcardSubscriptionsNotSupported:
                return true
            default: return false
            }
        case .unsuback:
            switch self {
            case .success, .noSubscriptionExisted, .unspecifiedError, .implementationSpecificError, .notAuthorized,
                .topicFilterInvalid, .packetIdentifierInUse:
                return true
            default: return false
            }
        case .disconnect:
            // Table 2-6 lists 0x8C (Bad authentication method) for DISCONNECT too, although the
            // table in section 3.14.2.1 leaves it out; a receiver accepts what either allows.
            switch self {
            case .success, .disconnectWithWillMessage, .unspecifiedError, .malformedPacket, .protocolError,
                .implementationSpecificError, .notAuthorized, .serverBusy, .serverShuttingDown, .badAuthenticationMethod,
                .keepAliveTimeout, .sessionTakenOver, .topicFilterInvalid, .topicNameInvalid, .receiveMaximumExceeded,
                .topicAliasInvalid, .packetTooLarge, .messageRateTooHigh, .quotaExceeded, .administrativeAction,
                .payloadFormatInvalid, .retainNotSupported, .qosNotSupported, .useAnotherServer, .serverMoved,
                .sharedSubscriptionsNotSupported, .connectionRateExceeded, .maximumConnectTime,
                .subscriptionIdentifiersNotSupported, .wildcardSubscriptionsNotSupported:
                return true
            default: return false
            }
        case .auth:
            return self == .success || self == .continueAuthentication || self == .reAuthenticate
        case .connect, .publish, .subscribe, .unsubscribe, .pingreq, .pingresp:
            return false
        }
    }

    /// `0x8e`-style two-digit hex, upper case: `0x8E`.
    static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return "0x" + (byte < 16 ? "0" + digits : digits)
    }

    private static func number(_ text: String) -> UInt8? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return UInt8(text.dropFirst(2), radix: 16) }
        return UInt8(text)
    }
}

extension String {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        var slice = Substring(self)
        while slice.first == character { slice = slice.dropFirst() }
        while slice.last == character { slice = slice.dropLast() }
        return String(slice)
    }
}
