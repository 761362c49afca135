/// The quality-of-service level of an MQTT message delivery (MQTT 3.1.1 section 4.3).
public enum MQTTQoS: UInt8, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// QoS 0: at most once, fire and forget.
    case atMostOnce = 0
    /// QoS 1: at least once, acknowledged by PUBACK.
    case atLeastOnce = 1
    /// QoS 2: exactly once, four-packet handshake.
    case exactlyOnce = 2

    public static func < (lhs: MQTTQoS, rhs: MQTTQoS) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The numeric level, for example `1`.
    public var description: String { String(rawValue) }
}
