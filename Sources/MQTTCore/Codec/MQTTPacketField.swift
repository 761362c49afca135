/// A field of an MQTT packet, as named in decoding errors.
public enum MQTTPacketField: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// CONNECT protocol name (section 3.1.2.1).
    case protocolName
    /// CONNECT protocol level (section 3.1.2.2).
    case protocolLevel
    /// CONNECT flags byte (section 3.1.2.3).
    case connectFlags
    /// CONNECT keep alive (section 3.1.2.10).
    case keepAlive
    /// CONNECT client identifier (section 3.1.3.1).
    case clientIdentifier
    /// CONNECT will topic (section 3.1.3.2).
    case willTopic
    /// CONNECT will message (section 3.1.3.3).
    case willMessage
    /// CONNECT user name (section 3.1.3.4).
    case userName
    /// CONNECT password (section 3.1.3.5).
    case password
    /// CONNACK acknowledge flags (section 3.2.2.1).
    case acknowledgeFlags
    /// CONNACK or SUBACK return code (sections 3.2.2.3, 3.9.3).
    case returnCode
    /// PUBLISH topic name (section 3.3.2.1).
    case topicName
    /// Packet identifier (section 2.3.1).
    case packetIdentifier
    /// SUBSCRIBE or UNSUBSCRIBE topic filter (sections 3.8.3, 3.10.3).
    case topicFilter
    /// SUBSCRIBE requested QoS (section 3.8.3).
    case requestedQoS
    /// MQTT 5.0 Property Length and properties of a packet (section 2.2.2).
    case properties
    /// MQTT 5.0 will properties of a CONNECT (section 3.1.3.2).
    case willProperties
    /// MQTT 5.0 reason code (section 2.4).
    case reasonCode
    /// MQTT 5.0 SUBSCRIBE subscription options (section 3.8.3.1).
    case subscriptionOptions

    /// The field's name as the standard writes it, for example `client identifier`.
    public var description: String {
        switch self {
        case .protocolName: "protocol name"
        case .protocolLevel: "protocol level"
        case .connectFlags: "connect flags"
        case .keepAlive: "keep alive"
        case .clientIdentifier: "client identifier"
        case .willTopic: "will topic"
        case .willMessage: "will message"
        case .userName: "user name"
        case .password: "password"
        case .acknowledgeFlags: "acknowledge flags"
        case .returnCode: "return code"
        case .topicName: "topic name"
        case .packetIdentifier: "packet identifier"
        case .topicFilter: "topic filter"
        case .requestedQoS: "requested QoS"
        case .properties: "properties"
        case .willProperties: "will properties"
        case .reasonCode: "reason code"
        case .subscriptionOptions: "subscription options"
        }
    }
}
