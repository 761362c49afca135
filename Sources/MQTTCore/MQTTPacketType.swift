/// The 4-bit control packet type in the first byte of every packet (MQTT 3.1.1 section 2.2.1,
/// MQTT 5.0 section 2.1.2). AUTH exists in MQTT 5.0 only; 3.1.1 reserves type 15.
public enum MQTTPacketType: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case connect = 1
    case connack = 2
    case publish = 3
    case puback = 4
    case pubrec = 5
    case pubrel = 6
    case pubcomp = 7
    case subscribe = 8
    case suback = 9
    case unsubscribe = 10
    case unsuback = 11
    case pingreq = 12
    case pingresp = 13
    case disconnect = 14
    case auth = 15

    /// The fixed-header flags this type must carry (Table 2.2), or `nil` for PUBLISH whose
    /// flags carry DUP, QoS and RETAIN.
    public var requiredFlags: UInt8? {
        switch self {
        case .publish: return nil
        case .pubrel, .subscribe, .unsubscribe: return 0b0010
        default: return 0
        }
    }

    /// The packet's name as the standard writes it, for example `CONNACK`.
    public var name: String {
        switch self {
        case .connect: "CONNECT"
        case .connack: "CONNACK"
        case .publish: "PUBLISH"
        case .puback: "PUBACK"
        case .pubrec: "PUBREC"
        case .pubrel: "PUBREL"
        case .pubcomp: "PUBCOMP"
        case .subscribe: "SUBSCRIBE"
        case .suback: "SUBACK"
        case .unsubscribe: "UNSUBSCRIBE"
        case .unsuback: "UNSUBACK"
        case .pingreq: "PINGREQ"
        case .pingresp: "PINGRESP"
        case .disconnect: "DISCONNECT"
        case .auth: "AUTH"
        }
    }

    public var description: String { name }

    /// Parses a packet name case-insensitively (`connack`, `PUBLISH`).
    public init?(name: String) {
        let upper = name.uppercased()
        guard let match = Self.allCases.first(where: { $0.name == upper }) else { return nil }
        self = match
    }
}
