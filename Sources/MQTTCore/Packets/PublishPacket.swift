import NIOCore

/// PUBLISH (section 3.3): an application message in either direction.
public struct PublishPacket: Sendable, Hashable {
    /// The topic name. In MQTT 5.0 it may be empty when ``properties`` carry a Topic Alias
    /// (section 3.3.2.3.4); never otherwise.
    public var topic: TopicName
    public var qos: MQTTQoS
    public var dup: Bool
    public var retain: Bool
    /// Present exactly when `qos` is above 0 [MQTT-2.3.1-5].
    public var packetID: UInt16?
    /// The application payload: a slice of the received buffer, not a copy.
    public var payload: ByteBuffer
    /// MQTT 5.0 properties (section 3.3.2.3): Topic Alias, Subscription Identifiers, User
    /// Properties and the rest. Empty for MQTT 3.1.1.
    public var properties: MQTTProperties

    public init(
        topic: TopicName,
        payload: ByteBuffer,
        qos: MQTTQoS = .atMostOnce,
        packetID: UInt16? = nil,
        dup: Bool = false,
        retain: Bool = false,
        properties: MQTTProperties = .none
    ) {
        self.properties = properties
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.packetID = packetID
        self.dup = dup
        self.retain = retain
    }

    /// The fixed-header flags (DUP, QoS, RETAIN).
    public var flags: UInt8 {
        (dup ? 0x08 : 0) | (qos.rawValue << 1) | (retain ? 0x01 : 0)
    }
}
