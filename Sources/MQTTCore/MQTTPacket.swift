import NIOCore

/// One MQTT 3.1.1 control packet: a closed set, so every switch over it is exhaustive.
///
/// Packets are plain values. Decoding validates them once at the edge; after that the fields
/// (topics, filters, QoS) are already well-formed domain types.
public enum MQTTPacket: Sendable, Hashable {
    /// Boxed: a CONNECT is by far the largest packet and comes once per connection, so every
    /// other packet (a PUBLISH above all) moves and copies a much smaller value.
    indirect case connect(ConnectPacket)
    case connack(ConnAckPacket)
    case publish(PublishPacket)
    case puback(packetID: UInt16)
    case pubrec(packetID: UInt16)
    case pubrel(packetID: UInt16)
    case pubcomp(packetID: UInt16)
    case subscribe(SubscribePacket)
    case suback(SubAckPacket)
    case unsubscribe(UnsubscribePacket)
    case unsuback(packetID: UInt16)
    case pingreq
    case pingresp
    case disconnect

    /// The packet's control type.
    public var type: MQTTPacketType {
        switch self {
        case .connect: .connect
        case .connack: .connack
        case .publish: .publish
        case .puback: .puback
        case .pubrec: .pubrec
        case .pubrel: .pubrel
        case .pubcomp: .pubcomp
        case .subscribe: .subscribe
        case .suback: .suback
        case .unsubscribe: .unsubscribe
        case .unsuback: .unsuback
        case .pingreq: .pingreq
        case .pingresp: .pingresp
        case .disconnect: .disconnect
        }
    }

    /// The packet identifier, for the packet types that carry one.
    public var packetID: UInt16? {
        switch self {
        case .publish(let publish): publish.packetID
        case .puback(let id), .pubrec(let id), .pubrel(let id), .pubcomp(let id), .unsuback(let id): id
        case .subscribe(let subscribe): subscribe.packetID
        case .suback(let suback): suback.packetID
        case .unsubscribe(let unsubscribe): unsubscribe.packetID
        case .connect, .connack, .pingreq, .pingresp, .disconnect: nil
        }
    }
}
