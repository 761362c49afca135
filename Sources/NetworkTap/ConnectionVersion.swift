import MQTTCore

/// The MQTT protocol version of one connection through the tap proxy, shared by the taps of
/// both directions (on the device channel's event loop).
///
/// The proxy learns the version as a broker that speaks both does: the device's first packet,
/// when it is a CONNECT, is decoded as MQTT 5.0 would decode it (that decoder reads a CONNECT
/// of any level in its own level's layout), and its CONNECT sets the version of everything
/// after it, both ways:
/// level 5 is MQTT 5.0, any other level 3.1.1 (see
/// ``MQTTCore/MQTTProtocolVersion/init(adoptedFrom:)``). Until then, and when the first packet
/// is no CONNECT, the connection is taken as MQTT 3.1.1.
final class ConnectionVersion {
    /// The version the device's CONNECT set; `nil` before the device's first packet.
    private(set) var adopted: MQTTProtocolVersion?
    private var awaitsFirstPacket = true

    init() {}

    /// The version the connection's packets are decoded in now (3.1.1 until a CONNECT said
    /// otherwise).
    var current: MQTTProtocolVersion { adopted ?? .v311 }

    /// The version to decode the next packet in the given direction: the device's first
    /// packet, if a CONNECT, as MQTT 5.0 would; everything else in ``current``. (A first packet
    /// of another type is read as 3.1.1 reads it: type 15 is then reserved, not AUTH.)
    /// - Parameters:
    ///   - direction: `.outbound` for the device's packets (to the broker).
    ///   - firstByte: the next packet's first byte, if it has arrived.
    func decodingVersion(_ direction: PacketDirection, firstByte: UInt8?) -> MQTTProtocolVersion {
        guard direction == .outbound, awaitsFirstPacket else { return current }
        return .decodingFirstPacket(startingWith: firstByte, otherwise: current)
    }

    /// Takes a packet decoded in `direction`: the device's first packet sets the version.
    func decoded(_ packet: MQTTPacket, direction: PacketDirection) {
        guard direction == .outbound, awaitsFirstPacket else { return }
        awaitsFirstPacket = false
        adopted = MQTTProtocolVersion(adoptedFrom: packet) ?? .v311
    }
}

@available(*, unavailable)
extension ConnectionVersion: Sendable {}
