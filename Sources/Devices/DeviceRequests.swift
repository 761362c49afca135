import MQTTCore
import NIOCore

/// A SUBSCRIBE as a scenario asks for it: the filters with their options, and MQTT 5.0
/// properties (a subscription identifier, user properties).
public struct SubscribeRequest: Sendable, Hashable {
    /// Each filter with its maximum QoS and (MQTT 5.0) no local, retain as published and
    /// retain handling.
    public var subscriptions: [SubscribePacket.Subscription]
    /// SUBSCRIBE properties (MQTT 5.0): a subscription identifier, user properties.
    public var properties: MQTTProperties

    public init(subscriptions: [SubscribePacket.Subscription], properties: MQTTProperties = .none) {
        self.subscriptions = subscriptions
        self.properties = properties
    }

    /// Whether the request needs MQTT 5.0: properties, or options beyond the QoS.
    public var needsMQTT5: Bool { !properties.isEmpty || subscriptions.contains { !$0.hasOnlyQoS } }
}

/// An UNSUBSCRIBE: the filters, and MQTT 5.0 properties (user properties).
public struct UnsubscribeRequest: Sendable, Hashable {
    public var filters: [TopicFilter]
    /// UNSUBSCRIBE properties (MQTT 5.0): user properties.
    public var properties: MQTTProperties

    public init(filters: [TopicFilter], properties: MQTTProperties = .none) {
        self.filters = filters
        self.properties = properties
    }

    /// Whether the request needs MQTT 5.0.
    public var needsMQTT5: Bool { !properties.isEmpty }
}

/// A PUBLISH is the application message the client publishes: topic, payload, QoS, retain,
/// and MQTT 5.0 properties (topic alias, message expiry interval, response topic, correlation
/// data, content type, payload format indicator, user properties). The topic may be empty in
/// MQTT 5.0 when the properties carry a topic alias already mapped on the connection.
public typealias PublishRequest = ApplicationMessage

extension ApplicationMessage {
    /// Whether publishing the message needs MQTT 5.0.
    public var needsMQTT5: Bool { !properties.isEmpty }
}

/// A DISCONNECT: in MQTT 5.0 with a reason code (for example 0x04 Disconnect with Will
/// Message) and properties (session expiry interval, reason string, user properties).
public struct DisconnectRequest: Sendable, Hashable {
    /// The reason (MQTT 5.0); 0x00 Normal disconnection is all 3.1.1 can say.
    public var reasonCode: MQTTReasonCode
    /// DISCONNECT properties (MQTT 5.0): session expiry interval, reason string, user
    /// properties.
    public var properties: MQTTProperties

    public init(reasonCode: MQTTReasonCode = .normalDisconnection, properties: MQTTProperties = .none) {
        self.reasonCode = reasonCode
        self.properties = properties
    }

    /// Whether the request needs MQTT 5.0: a reason other than normal disconnection, or
    /// properties.
    public var needsMQTT5: Bool { reasonCode != .normalDisconnection || !properties.isEmpty }
}
