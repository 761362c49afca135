import NIOCore

/// An application message as a client hands it over: what it publishes, or leaves as its
/// will (section 3.1.2.5; MQTT 5.0 section 3.1.2.5). On the wire it becomes a PUBLISH (with a packet identifier at QoS 1
/// and 2) or the will fields of a CONNECT.
public struct ApplicationMessage: Sendable, Hashable {
    public var topic: TopicName
    public var payload: ByteBuffer
    public var qos: MQTTQoS
    public var retain: Bool
    /// MQTT 5.0 properties: a PUBLISH's, or a will's (section 3.1.3.2, which adds the Will
    /// Delay Interval). Empty for MQTT 3.1.1.
    public var properties: MQTTProperties

    public init(topic: TopicName, payload: ByteBuffer, qos: MQTTQoS = .atMostOnce, retain: Bool = false, properties: MQTTProperties = .none) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.properties = properties
    }
}
