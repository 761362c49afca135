import MQTTCore

/// The MQTT 5.0 parts of a `subscribe` step: the subscription options beyond the QoS
/// (section 3.8.3.1) and the SUBSCRIBE properties. The defaults are what MQTT 3.1.1 sends.
public struct SubscribeOptions: Sendable, Hashable, CustomStringConvertible {
    /// `no_local`: the broker must not send the device its own publications [MQTT-3.8.3-3].
    public var noLocal = false
    /// `retain_as_published`: forwarded messages keep their RETAIN flag.
    public var retainAsPublished = false
    /// `retain_handling`: 0 send retained messages on subscribe, 1 only for a new
    /// subscription, 2 never.
    public var retainHandling = SubscribePacket.RetainHandling.sendOnSubscribe
    /// SUBSCRIBE properties: subscription_identifier and user properties.
    public var properties = MQTTProperties.none

    public init(noLocal: Bool = false, retainAsPublished: Bool = false, retainHandling: SubscribePacket.RetainHandling = .sendOnSubscribe, properties: MQTTProperties = .none) {
        self.noLocal = noLocal
        self.retainAsPublished = retainAsPublished
        self.retainHandling = retainHandling
        self.properties = properties
    }

    /// Whether every option has its default (all MQTT 3.1.1 can say).
    public var isDefault: Bool { !noLocal && !retainAsPublished && retainHandling == .sendOnSubscribe && properties.isEmpty }

    /// ` no_local retain_handling=2 properties=[...]`, empty for the defaults.
    public var description: String {
        var parts: [String] = []
        if noLocal { parts.append("no_local") }
        if retainAsPublished { parts.append("retain_as_published") }
        if retainHandling != .sendOnSubscribe { parts.append("retain_handling=\(retainHandling.rawValue)") }
        if !properties.isEmpty { parts.append("properties=[\(properties.summary)]") }
        return parts.map { " " + $0 }.joined()
    }
}

/// A `disconnect` step: the DISCONNECT's reason code and properties (MQTT 5.0; a 3.1.1
/// DISCONNECT has neither).
public struct DisconnectSpec: Sendable, Hashable, CustomStringConvertible {
    public var reason: MQTTReasonCode
    public var properties: MQTTProperties

    public init(reason: MQTTReasonCode = .normalDisconnection, properties: MQTTProperties = .none) {
        self.reason = reason
        self.properties = properties
    }

    /// Whether it is a plain DISCONNECT (all MQTT 3.1.1 can send).
    public var isPlain: Bool { reason == .normalDisconnection && properties.isEmpty }

    /// ` reason=disconnect_with_will_message properties=[...]`, empty for a plain one.
    public var description: String {
        var text = ""
        if reason != .normalDisconnection { text += " reason=\(reason.name(in: .disconnect))" }
        if !properties.isEmpty { text += " properties=[\(properties.summary)]" }
        return text
    }
}
