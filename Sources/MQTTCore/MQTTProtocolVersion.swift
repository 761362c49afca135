/// The MQTT protocol version a codec speaks on a connection: the layout of every packet but
/// CONNECT (which names its own protocol level) depends on it.
///
/// A client knows its version; a server learns it from the protocol level of the CONNECT it
/// receives (see ``MQTTCodecHandler/Configuration/adoptsConnectVersion``).
public enum MQTTProtocolVersion: UInt8, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// MQTT 3.1.1 (OASIS Standard, 29 October 2014), protocol level 4. MQTT 3.1 (level 3)
    /// shares its packet layouts.
    case v311 = 4
    /// MQTT 5.0 (OASIS Standard, 7 March 2019), protocol level 5.
    case v5 = 5

    /// The version whose packet layout a CONNECT of protocol level `level` uses: 5 for MQTT 5.0,
    /// 3 and 4 for MQTT 3.1 and 3.1.1; `nil` for any other level.
    public init?(protocolLevel level: UInt8) {
        switch level {
        case 5: self = .v5
        case 3, 4: self = .v311
        default: return nil
        }
    }

    /// The version to decode a connection's first packet in while its CONNECT is still to set
    /// the version: a CONNECT is read as MQTT 5.0 reads it (that decoder reads a CONNECT of any
    /// level in its own level's layout); any other first packet in `otherwise`, so a first
    /// type-15 packet is reserved under 3.1.1 rather than taken for a 5.0 AUTH.
    /// - Parameters:
    ///   - firstByte: the packet's first byte, `nil` when nothing has arrived yet.
    ///   - otherwise: the version the connection has until a CONNECT sets one.
    public static func decodingFirstPacket(startingWith firstByte: UInt8?, otherwise: MQTTProtocolVersion) -> MQTTProtocolVersion {
        guard let firstByte, firstByte >> 4 == MQTTPacketType.connect.rawValue else { return otherwise }
        return .v5
    }

    /// The version a connection speaks after `packet`, its first packet, when the version is
    /// taken from the CONNECT (a server that speaks both, the tap proxy): MQTT 5.0 for a CONNECT
    /// of level 5 read in the 5.0 layout, MQTT 3.1.1 for any other CONNECT; `nil` when the
    /// first packet is not a CONNECT (the connection keeps the version it had).
    public init?(adoptedFrom packet: MQTTPacket) {
        guard case .connect(let connect) = packet else { return nil }
        self = connect.protocolLevel == 5 && connect.undecodedFields == nil ? .v5 : .v311
    }

    /// The protocol level a CONNECT of this version carries.
    public var protocolLevel: UInt8 { rawValue }

    /// `3.1.1` or `5.0`.
    public var description: String {
        switch self {
        case .v311: "3.1.1"
        case .v5: "5.0"
        }
    }

    public static func < (lhs: MQTTProtocolVersion, rhs: MQTTProtocolVersion) -> Bool { lhs.rawValue < rhs.rawValue }
}
