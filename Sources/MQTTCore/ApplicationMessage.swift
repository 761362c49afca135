import NIOCore

/// An application message as a client hands it over: what it publishes, or leaves as its
/// will (section 3.1.2.5). On the wire it becomes a PUBLISH (with a packet identifier at QoS 1
/// and 2) or the will fields of a CONNECT.
public struct ApplicationMessage: Sendable, Hashable {
    public var topic: TopicName
    public var payload: ByteBuffer
    public var qos: MQTTQoS
    public var retain: Bool

    public init(topic: TopicName, payload: ByteBuffer, qos: MQTTQoS = .atMostOnce, retain: Bool = false) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
    }
}
