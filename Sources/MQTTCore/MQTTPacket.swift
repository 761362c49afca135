import NIOCore

/// One MQTT control packet, of MQTT 3.1.1 or 5.0: a closed set, so every switch over it is
/// exhaustive.
///
/// One model for both versions: the MQTT 5.0 fields (properties, reason codes, subscription
/// options) are empty or Success in every MQTT 3.1.1 packet, and AUTH exists in 5.0 only. The
/// version is given to the codec (``decode(from:version:maximumPacketSize:)``,
/// ``encode(into:version:)``), which refuses a 5.0 field it cannot write in 3.1.1.
///
/// Packets are plain values. Decoding validates them once at the edge; after that the fields
/// (topics, filters, QoS, properties) are already well-formed domain types.
public enum MQTTPacket: Sendable, Hashable {
    /// Boxed: a CONNECT is by far the largest packet and comes once per connection, so every
    /// other packet (a PUBLISH above all) moves and copies a much smaller value.
    indirect case connect(ConnectPacket)
    case connack(ConnAckPacket)
    case publish(PublishPacket)
    case puback(PublishAckPacket)
    case pubrec(PublishAckPacket)
    case pubrel(PublishAckPacket)
    case pubcomp(PublishAckPacket)
    case subscribe(SubscribePacket)
    case suback(SubAckPacket)
    case unsubscribe(UnsubscribePacket)
    case unsuback(UnsubAckPacket)
    case pingreq
    case pingresp
    case disconnect(DisconnectPacket)
    /// MQTT 5.0 only.
    case auth(AuthPacket)

    /// A PUBACK with only its packet identifier (all MQTT 3.1.1 has; Success in 5.0).
    public static func puback(packetID: UInt16) -> MQTTPacket { .puback(PublishAckPacket(packetID: packetID)) }
    /// A PUBREC with only its packet identifier.
    public static func pubrec(packetID: UInt16) -> MQTTPacket { .pubrec(PublishAckPacket(packetID: packetID)) }
    /// A PUBREL with only its packet identifier.
    public static func pubrel(packetID: UInt16) -> MQTTPacket { .pubrel(PublishAckPacket(packetID: packetID)) }
    /// A PUBCOMP with only its packet identifier.
    public static func pubcomp(packetID: UInt16) -> MQTTPacket { .pubcomp(PublishAckPacket(packetID: packetID)) }
    /// An UNSUBACK with only its packet identifier (all MQTT 3.1.1 has).
    public static func unsuback(packetID: UInt16) -> MQTTPacket { .unsuback(UnsubAckPacket(packetID: packetID)) }
    /// A DISCONNECT without reason or properties: MQTT 3.1.1's, and MQTT 5.0's normal
    /// disconnection. (A pattern `case .disconnect:` matches every DISCONNECT.)
    public static var disconnect: MQTTPacket { .disconnect(DisconnectPacket()) }

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
        case .auth: .auth
        }
    }

    /// The packet identifier, for the packet types that carry one.
    public var packetID: UInt16? {
        switch self {
        case .publish(let publish): publish.packetID
        case .puback(let ack), .pubrec(let ack), .pubrel(let ack), .pubcomp(let ack): ack.packetID
        case .unsuback(let unsuback): unsuback.packetID
        case .subscribe(let subscribe): subscribe.packetID
        case .suback(let suback): suback.packetID
        case .unsubscribe(let unsubscribe): unsubscribe.packetID
        case .connect, .connack, .pingreq, .pingresp, .disconnect, .auth: nil
        }
    }

    /// The MQTT 5.0 properties the packet carries (for CONNECT, not the will's); empty for
    /// PINGREQ, PINGRESP and every MQTT 3.1.1 packet.
    public var properties: MQTTProperties {
        switch self {
        case .connect(let connect): connect.properties
        case .connack(let connack): connack.properties
        case .publish(let publish): publish.properties
        case .puback(let ack), .pubrec(let ack), .pubrel(let ack), .pubcomp(let ack): ack.properties
        case .subscribe(let subscribe): subscribe.properties
        case .suback(let suback): suback.properties
        case .unsubscribe(let unsubscribe): unsubscribe.properties
        case .unsuback(let unsuback): unsuback.properties
        case .disconnect(let disconnect): disconnect.properties
        case .auth(let auth): auth.properties
        case .pingreq, .pingresp: .none
        }
    }
}
