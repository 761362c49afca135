import NIOCore

/// CONNECT (section 3.1): the first packet a client sends on a connection.
public struct ConnectPacket: Sendable, Hashable {
    /// A will message the server publishes when the connection ends without DISCONNECT.
    public typealias Will = ApplicationMessage

    /// Bit masks of the Connect Flags byte (section 3.1.2.3).
    public enum Flags {
        public static let reserved: UInt8 = 0x01
        public static let cleanSession: UInt8 = 0x02
        public static let will: UInt8 = 0x04
        public static let willQoSMask: UInt8 = 0x18
        public static let willQoSShift: UInt8 = 3
        public static let willRetain: UInt8 = 0x20
        public static let password: UInt8 = 0x40
        public static let username: UInt8 = 0x80
    }

    /// The protocol name: `MQTT` for 3.1.1, `MQIsdp` for the older 3.1.
    public var protocolName: String
    /// The protocol level: 5 for MQTT 5.0, 4 for MQTT 3.1.1, 3 for 3.1. Bit 7 set marks a bridge.
    public var protocolLevel: UInt8
    public var cleanSession: Bool
    /// Keep-alive in seconds; 0 switches keep-alive off.
    public var keepAlive: UInt16
    public var clientID: String
    public var will: Will?
    public var username: String?
    /// The password as binary data (section 3.1.3.5).
    public var password: ByteBuffer?
    /// MQTT 5.0 CONNECT properties (section 3.1.2.11); the will's own properties are
    /// ``ApplicationMessage/properties`` of ``will``. Empty for MQTT 3.1.1.
    public var properties: MQTTProperties
    /// For a protocol level other than 3 or 4 whose bytes after the level do not follow the
    /// MQTT 3.1.1 layout: those bytes, exactly as they came. Their format is another
    /// specification's ([MQTT-3.1.2-1]); a 3.1.1 server needs only the level to refuse the
    /// CONNECT with CONNACK 1 [MQTT-3.1.2-2], and the other fields then hold their defaults.
    /// Encoding writes the name, the level and these bytes. `nil` for every CONNECT whose
    /// fields decoded.
    public var undecodedFields: ByteBuffer?

    /// Creates a CONNECT packet. Defaults are those of MQTT 3.1.1; `protocolLevel: 5` makes it
    /// an MQTT 5.0 CONNECT (where ``cleanSession`` is the Clean Start flag).
    public init(
        protocolName: String = "MQTT",
        protocolLevel: UInt8 = 4,
        clientID: String,
        cleanSession: Bool = true,
        keepAlive: UInt16 = 0,
        will: Will? = nil,
        username: String? = nil,
        password: ByteBuffer? = nil,
        properties: MQTTProperties = .none,
        undecodedFields: ByteBuffer? = nil
    ) {
        self.properties = properties
        self.protocolName = protocolName
        self.protocolLevel = protocolLevel
        self.clientID = clientID
        self.cleanSession = cleanSession
        self.keepAlive = keepAlive
        self.will = will
        self.username = username
        self.password = password
        self.undecodedFields = undecodedFields
    }

    /// The password decoded as UTF-8 text, when it is valid UTF-8 (a SAS token, for example).
    public var passwordText: String? {
        guard let password else { return nil }
        return String(validating: password.readableBytesView, as: UTF8.self)
    }

    /// The Connect Flags byte this packet encodes to.
    public var flags: UInt8 {
        var flags: UInt8 = 0
        if cleanSession { flags |= Flags.cleanSession }
        if let will {
            flags |= Flags.will | (will.qos.rawValue << Flags.willQoSShift)
            if will.retain { flags |= Flags.willRetain }
        }
        if username != nil { flags |= Flags.username }
        if password != nil { flags |= Flags.password }
        return flags
    }
}
