extension MQTTDecodingError {
    /// The identifier of the violated normative statement (of MQTT 5.0 for ``mqtt5(_:)``, else
    /// of MQTT 3.1.1), for example
    /// `MQTT-3.1.2-3`; `nil` when the standard states the rule without an identifier (then
    /// ``section`` says where) and for the configured size limit.
    public var statement: String? {
        switch self {
        case .mqtt5(let error): return error.statementInMQTT5
        case .nonMinimalRemainingLength, .invalidProperty, .invalidReasonCode, .reservedSubscriptionOptions,
            .invalidSubscriptionOptions, .noLocalOnSharedSubscription, .invalidSharedSubscription,
            .emptyTopicWithoutAlias, .emptyUnsubAck, .sessionPresentWithReasonCode:
            return statementInMQTT5
        case .reservedPacketType, .malformedRemainingLength, .packetTooLarge, .reservedConnAckFlags,
            .reservedConnectReturnCode, .unexpectedTrailingBytes:
            return nil
        case .invalidFixedHeaderFlags(let type, _):
            switch type {
            case .pubrel: return "MQTT-3.6.1-1"
            case .subscribe: return "MQTT-3.8.1-1"
            case .unsubscribe: return "MQTT-3.10.1-1"
            case .disconnect: return "MQTT-3.14.1-1"
            default: return "MQTT-2.2.2-1"
            }
        case .truncated(let type, let field):
            return Self.statement(forMissing: field, in: type)
        case .unflaggedConnectField(let field):
            switch field {
            case .userName: return "MQTT-3.1.2-18"
            case .password: return "MQTT-3.1.2-20"
            default: return "MQTT-3.1.2-11"
            }
        case .invalidUTF8: return "MQTT-1.5.3-1"
        case .nullCharacter: return "MQTT-1.5.3-2"
        case .invalidProtocolName: return "MQTT-3.1.2-1"
        case .reservedConnectFlagSet: return "MQTT-3.1.2-3"
        case .willQoSWithoutWillFlag: return "MQTT-3.1.2-13"
        case .willRetainWithoutWillFlag: return "MQTT-3.1.2-15"
        case .invalidWillQoS: return "MQTT-3.1.2-14"
        case .passwordWithoutUsername: return "MQTT-3.1.2-22"
        case .sessionPresentWithRefusal: return "MQTT-3.2.2-4"
        case .invalidPublishQoS: return "MQTT-3.3.1-4"
        case .duplicateFlagAtQoS0: return "MQTT-3.3.1-2"
        case .invalidTopic(let type, let error):
            if case .wildcardInTopicName = error, type == .publish { return "MQTT-3.3.2-2" }
            return error.statement
        case .zeroPacketIdentifier(let type):
            switch type {
            case .puback, .pubrec, .pubrel: return "MQTT-2.3.1-6"
            case .pubcomp: return "MQTT-4.3.3-2"
            case .suback, .unsuback: return "MQTT-2.3.1-7"
            default: return "MQTT-2.3.1-1"
            }
        case .emptySubscribe: return "MQTT-3.8.3-3"
        case .invalidRequestedQoS: return "MQTT-3-8.3-4"
        case .reservedSubAckReturnCode: return "MQTT-3.9.3-2"
        case .emptySubAck: return "MQTT-3.8.4-5"
        case .emptyUnsubscribe: return "MQTT-3.10.3-2"
        }
    }

    /// The section of MQTT 3.1.1 that states the rule, for example `3.1.2.3`; `nil` for the
    /// configured size limit.
    public var section: String? {
        switch self {
        case .mqtt5(let error): error.sectionInMQTT5
        case .nonMinimalRemainingLength, .invalidProperty, .invalidReasonCode, .reservedSubscriptionOptions,
            .invalidSubscriptionOptions, .noLocalOnSharedSubscription, .invalidSharedSubscription,
            .emptyTopicWithoutAlias, .emptyUnsubAck, .sessionPresentWithReasonCode:
            sectionInMQTT5
        case .reservedPacketType: "2.2.1"
        case .invalidFixedHeaderFlags: "2.2.2"
        case .malformedRemainingLength: "2.2.3"
        case .packetTooLarge: nil
        case .truncated(let type, let field): Self.section(of: field, in: type)
        case .unexpectedTrailingBytes(let type, _): Self.layoutSection(of: type)
        case .unflaggedConnectField(let field):
            switch field {
            case .userName: "3.1.2.8"
            case .password: "3.1.2.9"
            default: "3.1.2.5"
            }
        case .invalidUTF8, .nullCharacter: "1.5.3"
        case .invalidProtocolName: "3.1.2.1"
        case .reservedConnectFlagSet: "3.1.2.3"
        case .willQoSWithoutWillFlag, .invalidWillQoS: "3.1.2.6"
        case .willRetainWithoutWillFlag: "3.1.2.7"
        case .passwordWithoutUsername: "3.1.2.9"
        case .reservedConnAckFlags: "3.2.2.1"
        case .sessionPresentWithRefusal: "3.2.2.2"
        case .reservedConnectReturnCode: "3.2.2.3"
        case .invalidPublishQoS: "3.3.1.2"
        case .duplicateFlagAtQoS0: "3.3.1.1"
        case .invalidTopic(let type, let error):
            if case .wildcardInTopicName = error, type == .publish { "3.3.2.1" } else { error.section }
        case .zeroPacketIdentifier: "2.3.1"
        case .emptySubscribe, .invalidRequestedQoS: "3.8.3"
        case .reservedSubAckReturnCode, .emptySubAck: "3.9.3"
        case .emptyUnsubscribe: "3.10.3"
        }
    }

    /// The statement identifier, else `section <number>`, else `configured maximum packet
    /// size`: what error messages show in brackets.
    public var reference: String {
        if let statement { return statement }
        if let section { return "section \(section)" }
        return "configured maximum packet size"
    }

    /// The statement a packet breaks when `field` is missing from it.
    private static func statement(forMissing field: MQTTPacketField, in type: MQTTPacketType) -> String? {
        switch field {
        case .clientIdentifier: "MQTT-3.1.3-3"
        case .willTopic, .willMessage: "MQTT-3.1.2-9"
        case .userName: "MQTT-3.1.2-19"
        case .password: "MQTT-3.1.2-21"
        case .topicName: "MQTT-3.3.2-1"
        case .packetIdentifier: type == .publish || type == .subscribe || type == .unsubscribe ? "MQTT-2.3.1-1" : nil
        default: nil
        }
    }

    /// The section a truncated `field` of `type` breaks: for the packets of fixed size, the
    /// one that fixes their remaining length; otherwise the one that defines the field.
    private static func section(of field: MQTTPacketField, in type: MQTTPacketType) -> String {
        switch type {
        case .connack, .puback, .pubrec, .pubrel, .pubcomp, .unsuback, .pingreq, .pingresp, .disconnect, .auth:
            return layoutSection(of: type)
        case .connect, .publish, .subscribe, .suback, .unsubscribe:
            break
        }
        switch field {
        case .protocolName: return "3.1.2.1"
        case .protocolLevel: return "3.1.2.2"
        case .connectFlags: return "3.1.2.3"
        case .keepAlive: return "3.1.2.10"
        case .clientIdentifier: return "3.1.3.1"
        case .willTopic: return "3.1.3.2"
        case .willMessage: return "3.1.3.3"
        case .userName: return "3.1.3.4"
        case .password: return "3.1.3.5"
        case .topicName: return "3.3.2.1"
        case .packetIdentifier:
            switch type {
            case .publish: return "3.3.2.2"
            case .subscribe: return "3.8.2"
            case .suback: return "3.9.2"
            default: return "3.10.2"
            }
        case .topicFilter: return type == .unsubscribe ? "3.10.3" : "3.8.3"
        case .requestedQoS: return "3.8.3"
        case .returnCode: return "3.9.3"
        case .acknowledgeFlags: return "3.2.2.1"
        case .properties, .willProperties, .reasonCode, .subscriptionOptions: return layoutSection(of: type)
        }
    }

    /// The section that fixes a packet's remaining length or says it has no variable header
    /// or payload, for example `3.4.1` (PUBACK: remaining length 2).
    static func layoutSection(of type: MQTTPacketType) -> String {
        switch type {
        case .connect: "3.1.3"
        case .connack: "3.2.1"
        case .publish: "3.3.3"
        case .puback: "3.4.1"
        case .pubrec: "3.5.1"
        case .pubrel: "3.6.1"
        case .pubcomp: "3.7.1"
        case .subscribe: "3.8.3"
        case .suback: "3.9.3"
        case .unsubscribe: "3.10.3"
        case .unsuback: "3.11.1"
        case .pingreq: "3.12"
        case .pingresp: "3.13"
        case .disconnect: "3.14"
        case .auth: "2.2.1"
        }
    }
}
