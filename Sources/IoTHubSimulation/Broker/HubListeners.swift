import MQTTWebSocket

/// Where the simulated hub listens: TLS (as the real hub, on 8883), MQTT over WebSockets (as
/// the real hub, `wss://<host>/$iothub/websocket` on 443) when asked for, and, only when asked
/// for, plain TCP (the real hub offers no plain port).
public struct HubListeners: Sendable, Hashable {
    /// The address to bind. Default: `127.0.0.1`.
    public var host: String
    /// TLS settings; `nil` turns the TLS listener off. Default: a generated certificate.
    public var tls: HubTLSConfiguration?
    /// The TLS port; 0 picks a free one. Default: 0 (the `harness hub` command uses 8883).
    public var tlsPort: Int
    /// A plain TCP port, or `nil` for none; 0 picks a free one. Default: `nil`.
    public var plainPort: Int?
    /// The MQTT-over-WebSockets port, or `nil` for none; 0 picks a free one. It serves
    /// `/$iothub/websocket` over TLS (`wss`) with the TLS listener's certificate and profile,
    /// or without TLS (`ws`) when ``tls`` is `nil`. Default: `nil` (`harness hub` uses 443).
    public var webSocketPort: Int?

    public init(host: String = "127.0.0.1", tls: HubTLSConfiguration? = HubTLSConfiguration(), tlsPort: Int = 0, plainPort: Int? = nil, webSocketPort: Int? = nil) {
        self.host = host
        self.tls = tls
        self.tlsPort = tlsPort
        self.plainPort = plainPort
        self.webSocketPort = webSocketPort
    }

    /// The port the real hub serves MQTT over WebSockets on, 443; the Azure SDKs always dial it.
    public static let standardWebSocketPort = MQTTWebSocketEndpoint.standardPort
}

/// The listeners the hub actually bound, once started.
public struct HubEndpoints: Sendable, Hashable {
    /// The bound address.
    public var host: String
    /// The bound TLS port, when TLS is on.
    public var tlsPort: Int?
    /// The bound plain TCP port, when plain TCP is on.
    public var plainPort: Int?
    /// The bound MQTT-over-WebSockets port, when WebSockets are on.
    public var webSocketPort: Int?
    /// Whether the WebSocket listener runs over TLS (`wss`), when WebSockets are on.
    public var webSocketUsesTLS: Bool = false
    /// The PEM file of the CA that clients must trust for TLS (the generated CA, or the user's
    /// CA file when one was given).
    public var caCertificatePath: String?
    /// The PEM file of the root CA a `ca_rotation` certificate fault moves the hub to, when
    /// TLS was set up with ``HubTLSConfiguration/preparesNextRoot``.
    public var nextRootCertificatePath: String?
    /// The PEM file holding both roots, the current one and then the next (a device given it
    /// goes on through a rotation), with ``HubTLSConfiguration/preparesNextRoot``.
    public var rootBundlePath: String?
    /// The PEM file of the intermediate CA the generated server chain carries (root,
    /// intermediate, server); devices must trust the root, not this.
    public var intermediateCertificatePath: String?
    /// The TLS profile the TLS listener applies, when TLS is on.
    public var tlsProfile: HubTLSProfile?

    public init(
        host: String,
        tlsPort: Int? = nil,
        plainPort: Int? = nil,
        caCertificatePath: String? = nil,
        nextRootCertificatePath: String? = nil,
        rootBundlePath: String? = nil
    ) {
        self.host = host
        self.tlsPort = tlsPort
        self.plainPort = plainPort
        self.caCertificatePath = caCertificatePath
        self.nextRootCertificatePath = nextRootCertificatePath
        self.rootBundlePath = rootBundlePath
    }
}
