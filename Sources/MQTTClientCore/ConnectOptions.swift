import MQTTCore
import NIOCore

/// What a client's CONNECT says: who it is, its session and keep-alive, its will and
/// credentials.
public struct ConnectOptions: Sendable, Hashable {
    public var clientID: String
    /// Clean session (MQTT 5.0: Clean Start) on the first connect; reconnects of a device program use 0 (see
    /// ``ReconnectPolicy``).
    public var cleanSession: Bool
    /// Seconds; 0 switches keep-alive off.
    public var keepAlive: UInt16
    /// Published by the broker when the connection ends without DISCONNECT; `nil` for none.
    public var will: ApplicationMessage?
    public var username: String?
    /// Binary data (section 3.1.3.5). Secret. A session with a token policy replaces it with
    /// each token it gets.
    public var password: ByteBuffer?
    /// MQTT 5.0 CONNECT properties (session expiry interval, receive maximum, maximum packet
    /// size, topic alias maximum, authentication method and data, user properties, ...); the
    /// will's are ``ApplicationMessage/properties`` of ``will``. Empty for MQTT 3.1.1.
    public var properties: MQTTProperties

    public init(
        clientID: String,
        cleanSession: Bool = true,
        keepAlive: UInt16 = 0,
        will: ApplicationMessage? = nil,
        username: String? = nil,
        password: ByteBuffer? = nil,
        properties: MQTTProperties = .none
    ) {
        self.properties = properties
        self.clientID = clientID
        self.cleanSession = cleanSession
        self.keepAlive = keepAlive
        self.will = will
        self.username = username
        self.password = password
    }
}
