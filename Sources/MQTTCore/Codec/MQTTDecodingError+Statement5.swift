extension MQTTDecodingError {
    /// The normative statement of MQTT 5.0 the error breaks, if the standard gives one.
    var statementInMQTT5: String? {
        switch self {
        case .mqtt5(let error): return error.statementInMQTT5
        case .reservedPacketType, .malformedRemainingLength, .packetTooLarge, .unexpectedTrailingBytes,
            .passwordWithoutUsername, .reservedConnectReturnCode, .invalidSubscriptionOptions, .invalidRequestedQoS,
            .emptyTopicWithoutAlias, .emptyUnsubAck:
            return nil
        case .invalidFixedHeaderFlags(let type, _):
            switch type {
            case .pubrel: return "MQTT-3.6.1-1"
            case .subscribe: return "MQTT-3.8.1-1"
            case .unsubscribe: return "MQTT-3.10.1-1"
            case .disconnect: return "MQTT-3.14.1-1"
            case .auth: return "MQTT-3.15.1-1"
            default: return "MQTT-2.1.3-1"
            }
        case .nonMinimalRemainingLength: return "MQTT-1.5.5-1"
        case .truncated(let type, let field):
            switch field {
            case .clientIdentifier: return "MQTT-3.1.3-3"
            case .willTopic, .willMessage, .willProperties: return "MQTT-3.1.2-9"
            case .userName: return "MQTT-3.1.2-17"
            case .password: return "MQTT-3.1.2-19"
            case .topicName: return "MQTT-3.3.2-1"
            case .properties:
                // Acknowledgements, DISCONNECT and AUTH may end before their properties.
                return [.connect, .connack, .publish, .subscribe, .suback, .unsubscribe, .unsuback].contains(type) ? "MQTT-2.2.2-1" : nil
            case .packetIdentifier:
                // The client's statement; a server's PUBLISH breaks the same rule as [MQTT-2.2.1-4].
                return [.publish, .subscribe, .unsubscribe].contains(type) ? "MQTT-2.2.1-3" : nil
            default: return nil
            }
        case .unflaggedConnectField(let field):
            switch field {
            case .userName: return "MQTT-3.1.2-16"
            case .password: return "MQTT-3.1.2-18"
            default: return nil
            }
        case .invalidUTF8: return "MQTT-1.5.4-1"
        case .nullCharacter: return "MQTT-1.5.4-2"
        case .invalidProtocolName: return "MQTT-3.1.2-1"
        case .reservedConnectFlagSet: return "MQTT-3.1.2-3"
        case .willQoSWithoutWillFlag: return "MQTT-3.1.2-11"
        case .invalidWillQoS: return "MQTT-3.1.2-12"
        case .willRetainWithoutWillFlag: return "MQTT-3.1.2-13"
        case .reservedConnAckFlags: return "MQTT-3.2.2-1"
        case .sessionPresentWithRefusal, .sessionPresentWithReasonCode: return "MQTT-3.2.2-6"
        case .invalidPublishQoS: return "MQTT-3.3.1-4"
        case .duplicateFlagAtQoS0: return "MQTT-3.3.1-2"
        case .invalidTopic(let type, let error):
            if case .wildcardInTopicName = error, type == .publish { return "MQTT-3.3.2-2" }
            return error.statementInMQTT5
        case .zeroPacketIdentifier(let type):
            switch type {
            case .puback, .pubrec, .pubrel, .pubcomp: return "MQTT-2.2.1-5"
            case .suback, .unsuback: return "MQTT-2.2.1-6"
            default: return "MQTT-2.2.1-3"
            }
        case .emptySubscribe: return "MQTT-3.8.3-2"
        case .reservedSubAckReturnCode: return "MQTT-3.9.3-2"
        case .emptySubAck: return "MQTT-3.8.4-6"
        case .emptyUnsubscribe: return "MQTT-3.10.3-2"
        case .invalidProperty(let context, let error): return error.statement(in: context)
        case .invalidReasonCode(let type, _):
            switch type {
            case .connack: return "MQTT-3.2.2-8"
            case .puback: return "MQTT-3.4.2-1"
            case .pubrec: return "MQTT-3.5.2-1"
            case .pubrel: return "MQTT-3.6.2-1"
            case .pubcomp: return "MQTT-3.7.2-1"
            case .suback: return "MQTT-3.9.3-2"
            case .unsuback: return "MQTT-3.11.3-2"
            case .disconnect: return "MQTT-3.14.2-1"
            case .auth: return "MQTT-3.15.2-1"
            default: return nil
            }
        case .reservedSubscriptionOptions: return "MQTT-3.8.3-5"
        case .noLocalOnSharedSubscription: return "MQTT-3.8.3-4"
        case .invalidSharedSubscription(let filter):
            return filter.utf8.dropFirst(SharedSubscription.prefix.utf8.count).first == UInt8(ascii: "/") ? "MQTT-4.8.2-1" : "MQTT-4.8.2-2"
        }
    }

    /// The section of MQTT 5.0 that states the rule; `nil` for the configured size limit.
    var sectionInMQTT5: String? {
        switch self {
        case .mqtt5(let error): error.sectionInMQTT5
        case .reservedPacketType: "2.1.2"
        case .invalidFixedHeaderFlags: "2.1.3"
        case .malformedRemainingLength: "2.1.4"
        case .nonMinimalRemainingLength: "1.5.5"
        case .packetTooLarge: nil
        case .truncated(let type, let field): Self.sectionInMQTT5(of: field, in: type)
        case .unexpectedTrailingBytes(let type, _): Self.payloadSectionInMQTT5(of: type)
        case .unflaggedConnectField(let field):
            switch field {
            case .userName: "3.1.2.8"
            case .password: "3.1.2.9"
            default: "3.1.2.5"
            }
        case .invalidUTF8, .nullCharacter: "1.5.4"
        case .invalidProtocolName: "3.1.2.1"
        case .reservedConnectFlagSet: "3.1.2.3"
        case .willQoSWithoutWillFlag, .invalidWillQoS: "3.1.2.6"
        case .willRetainWithoutWillFlag: "3.1.2.7"
        case .passwordWithoutUsername: "3.1.2.9"
        case .reservedConnAckFlags: "3.2.2.1"
        case .sessionPresentWithRefusal, .sessionPresentWithReasonCode: "3.2.2.1.1"
        case .reservedConnectReturnCode: "3.2.2.2"
        case .invalidPublishQoS: "3.3.1.2"
        case .duplicateFlagAtQoS0: "3.3.1.1"
        case .invalidTopic(let type, let error):
            if case .wildcardInTopicName = error, type == .publish { "3.3.2.1" } else { error.section }
        case .zeroPacketIdentifier: "2.2.1"
        case .emptySubscribe: "3.8.3"
        case .invalidRequestedQoS, .reservedSubscriptionOptions, .invalidSubscriptionOptions, .noLocalOnSharedSubscription: "3.8.3.1"
        case .reservedSubAckReturnCode, .emptySubAck: "3.9.3"
        case .emptyUnsubscribe: "3.10.3"
        case .invalidProperty(let context, let error): error.section(in: context)
        case .invalidReasonCode(let type, _): Self.reasonCodeSectionInMQTT5(of: type)
        case .invalidSharedSubscription: "4.8.2"
        case .emptyTopicWithoutAlias: "3.3.2.3.4"
        case .emptyUnsubAck: "3.11.3"
        }
    }

    /// The section of the reason code of `type`.
    static func reasonCodeSectionInMQTT5(of type: MQTTPacketType) -> String {
        switch type {
        case .connack: "3.2.2.2"
        case .puback: "3.4.2.1"
        case .pubrec: "3.5.2.1"
        case .pubrel: "3.6.2.1"
        case .pubcomp: "3.7.2.1"
        case .suback: "3.9.3"
        case .unsuback: "3.11.3"
        case .disconnect: "3.14.2.1"
        case .auth: "3.15.2.1"
        default: "2.4"
        }
    }

    /// The section that says what follows the variable header of `type` (its payload, or that
    /// it has none).
    static func payloadSectionInMQTT5(of type: MQTTPacketType) -> String {
        switch type {
        case .connect: "3.1.3"
        case .connack: "3.2.3"
        case .publish: "3.3.3"
        case .puback: "3.4.3"
        case .pubrec: "3.5.3"
        case .pubrel: "3.6.3"
        case .pubcomp: "3.7.3"
        case .subscribe: "3.8.3"
        case .suback: "3.9.3"
        case .unsubscribe: "3.10.3"
        case .unsuback: "3.11.3"
        case .pingreq: "3.12"
        case .pingresp: "3.13"
        case .disconnect: "3.14.3"
        case .auth: "3.15.3"
        }
    }

    private static func sectionInMQTT5(of field: MQTTPacketField, in type: MQTTPacketType) -> String {
        switch field {
        case .protocolName: "3.1.2.1"
        case .protocolLevel: "3.1.2.2"
        case .connectFlags: "3.1.2.3"
        case .keepAlive: "3.1.2.10"
        case .properties: MQTTPropertyContext(type).map { "\($0.propertiesSection).1" } ?? "2.2.2.1"
        case .willProperties: "3.1.3.2.1"
        case .clientIdentifier: "3.1.3.1"
        case .willTopic: "3.1.3.3"
        case .willMessage: "3.1.3.4"
        case .userName: "3.1.3.5"
        case .password: "3.1.3.6"
        case .acknowledgeFlags: "3.2.2.1"
        case .reasonCode, .returnCode: reasonCodeSectionInMQTT5(of: type)
        case .topicName: "3.3.2.1"
        case .packetIdentifier:
            switch type {
            case .publish: "3.3.2.2"
            case .puback: "3.4.2"
            case .pubrec: "3.5.2"
            case .pubrel: "3.6.2"
            case .pubcomp: "3.7.2"
            case .subscribe: "3.8.2"
            case .suback: "3.9.2"
            case .unsubscribe: "3.10.2"
            case .unsuback: "3.11.2"
            default: "2.2.1"
            }
        case .topicFilter: type == .unsubscribe ? "3.10.3" : "3.8.3"
        case .requestedQoS, .subscriptionOptions: "3.8.3.1"
        }
    }
}

extension TopicValidationError {
    /// The normative statement of MQTT 5.0 the topic violates.
    var statementInMQTT5: String {
        switch self {
        case .empty: "MQTT-4.7.3-1"
        case .tooLong: "MQTT-4.7.3-3"
        case .nullCharacter: "MQTT-4.7.3-2"
        case .wildcardInTopicName: "MQTT-4.7.0-1"
        case .misplacedMultiLevelWildcard: "MQTT-4.7.1-1"
        case .misplacedSingleLevelWildcard: "MQTT-4.7.1-2"
        }
    }
}

/// Shared Subscriptions (MQTT 5.0 section 4.8.2): `$share/{ShareName}/{filter}`.
enum SharedSubscription {
    static let prefix = "$share/"

    /// Whether `filter` names a Shared Subscription.
    static func isShared(_ filter: String) -> Bool { filter.utf8.starts(with: prefix.utf8) }

    /// Whether a `$share/` filter has a share name of at least one character [MQTT-4.8.2-1]
    /// without `/`, `+` or `#`, followed by `/` and a topic filter [MQTT-4.8.2-2].
    static func isWellFormed(_ filter: String) -> Bool {
        let rest = filter.utf8.dropFirst(prefix.utf8.count)
        guard let slash = rest.firstIndex(of: UInt8(ascii: "/")) else { return false }
        let name = rest[rest.startIndex..<slash]
        guard !name.isEmpty, !name.contains(UInt8(ascii: "+")), !name.contains(UInt8(ascii: "#")) else { return false }
        return rest.index(after: slash) != rest.endIndex
    }
}
