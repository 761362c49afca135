import IoTHubCore
import MQTTCore

/// Settings of the simulated hub's IoT Hub policy. Defaults follow the real Azure IoT Hub
/// (see docs/iothub-mqtt facts in the README).
public struct HubConfiguration: Sendable {
    /// The hub's host name, used in user names and token scopes. Default:
    /// `simulated.azure-devices.net`.
    public var hostName: String
    /// When SAS tokens are accepted (CONNECT and service requests) and when a live
    /// connection is dropped for its token. Default: ``TokenExpiryPolicy/realHub`` (5 minutes
    /// of clock skew, 10 minutes of grace).
    public var tokenExpiry: TokenExpiryPolicy
    /// The hub closes a connection after this factor times the keep-alive of silence.
    /// Default: 1.5.
    public var keepAliveFactor: Double
    /// Upper bound of the keep-alive timeout, also applied to keep-alive 0. Default: 1767 s
    /// (the Azure load balancer's idle timeout).
    public var keepAliveCap: Duration
    /// Maximum subscriptions per device. Default: 5.
    public var maximumSubscriptions: Int
    /// Maximum C2D messages queued per device. Default: 50.
    public var c2dQueueLimit: Int
    /// Maximum C2D body size in bytes. Default: 65,536.
    public var c2dMaximumSize: Int
    /// C2D time to live when the sender sets none. Default: 1 hour.
    public var c2dDefaultTTL: CloudToDeviceMessage.TimeToLive
    /// Deliveries after which a C2D message is dead-lettered. Default: 10.
    public var c2dMaximumDeliveryCount: Int
    /// Maximum D2C message size in bytes (body plus properties). Default: 262,144.
    public var d2cMaximumSize: Int
    /// Largest MQTT packet accepted from a device. Default: 262,144 + 4,096 bytes of headers.
    public var maximumPacketSize: Int
    /// Time a new connection has to send CONNECT. Default: 30 s.
    public var connectTimeout: Duration
    /// Largest CONNECT accepted, fixed header included. Until its CONNECT is accepted a
    /// connection holds at most this much (a larger CONNECT is refused from its fixed header,
    /// and nothing after the CONNECT is read until CONNACK), so a client that never
    /// authenticates costs the hub little. An IoT Hub CONNECT needs well under 2 KB (client
    /// id, user name with api-version, DeviceClientType and model-id, a SAS token); the rest
    /// is room for a will. Default: 8,192 bytes.
    public var maximumConnectPacketSize: Int
    /// Connections that may wait for their CONNECT to be accepted at once (TLS handshake and
    /// CONNECT included). At the limit a new connection takes the place of the one that has
    /// waited longest, if that one has waited at least ``pendingEvictionAge``; otherwise the
    /// new one is closed as soon as it opens. Default: 256.
    public var maximumPendingConnections: Int
    /// How long a connection must have waited for its CONNECT to be accepted before, at
    /// ``maximumPendingConnections``, a new connection may take its place. A device's TLS
    /// handshake and CONNECT take milliseconds; a connection still waiting after this long is
    /// idle, slow or hostile. Default: 1 s.
    public var pendingEvictionAge: Duration
    /// The CONNACK a CONNECT gets while the hub throttles (``HubFault/throttle``, the fault
    /// injection `InvokeThrottling`). Whether the real hub answers 3 or 5 is unconfirmed; the
    /// hub's policy for unconfirmed refusals is CONNACK 5 (the C SDK documents 5 for every
    /// CONNECT failure). Default: ``ThrottledConnectRefusal/notAuthorized`` (5).
    public var throttledConnectRefusal: ThrottledConnectRefusal
    /// The Device Provisioning Service that shares the hub's listener, or `nil` for none
    /// (the default): CONNECTs with a DPS user name are then refused.
    public var provisioning: ProvisioningConfiguration?

    /// The CONNACK codes a throttled CONNECT can get.
    public enum ThrottledConnectRefusal: String, Sendable, Hashable, CaseIterable {
        /// CONNACK 5, not authorized (the default).
        case notAuthorized = "5"
        /// CONNACK 3, server unavailable.
        case serverUnavailable = "3"

        /// The return code.
        public var returnCode: ConnectReturnCode {
            switch self {
            case .notAuthorized: .notAuthorized
            case .serverUnavailable: .serverUnavailable
            }
        }
    }

    public init(
        hostName: String = "simulated.azure-devices.net",
        tokenExpiry: TokenExpiryPolicy = .realHub,
        keepAliveFactor: Double = 1.5,
        keepAliveCap: Duration = .seconds(1767),
        maximumSubscriptions: Int = 5,
        c2dQueueLimit: Int = 50,
        c2dMaximumSize: Int = 65_536,
        c2dDefaultTTL: CloudToDeviceMessage.TimeToLive = .oneHour,
        c2dMaximumDeliveryCount: Int = 10,
        d2cMaximumSize: Int = 262_144,
        maximumPacketSize: Int = 262_144 + 4096,
        connectTimeout: Duration = .seconds(30),
        maximumConnectPacketSize: Int = 8192,
        maximumPendingConnections: Int = 256,
        pendingEvictionAge: Duration = .seconds(1),
        throttledConnectRefusal: ThrottledConnectRefusal = .notAuthorized
    ) {
        self.hostName = hostName
        self.tokenExpiry = tokenExpiry
        self.keepAliveFactor = keepAliveFactor
        self.keepAliveCap = keepAliveCap
        self.maximumSubscriptions = maximumSubscriptions
        self.c2dQueueLimit = c2dQueueLimit
        self.c2dMaximumSize = c2dMaximumSize
        self.c2dDefaultTTL = c2dDefaultTTL
        self.c2dMaximumDeliveryCount = c2dMaximumDeliveryCount
        self.d2cMaximumSize = d2cMaximumSize
        self.maximumPacketSize = maximumPacketSize
        self.connectTimeout = connectTimeout
        self.maximumConnectPacketSize = maximumConnectPacketSize
        self.maximumPendingConnections = maximumPendingConnections
        self.pendingEvictionAge = pendingEvictionAge
        self.throttledConnectRefusal = throttledConnectRefusal
    }

    /// The keep-alive timeout for a client keep-alive of `seconds`:
    /// min(factor x keep-alive, cap), and the cap for keep-alive 0.
    public func keepAliveTimeout(forKeepAlive seconds: UInt16) -> Duration {
        guard seconds > 0 else { return keepAliveCap }
        let timeout = Duration.nanoseconds(Int64(Double(seconds) * keepAliveFactor * 1_000_000_000))
        return min(timeout, keepAliveCap)
    }
}
