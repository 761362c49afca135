import MQTTWebSocket
import NIOCore
import NIOSSL

/// How a client runs TLS to its broker. The one place the harness builds client TLS
/// contexts: devices, the cloud connection, the benchmark's load and the tests' client all
/// come through ``makeContext()``.
public struct ClientTLS: Sendable, Hashable {
    /// PEM file of the CA to trust; `nil` trusts the system's roots.
    public var caFile: String?
    /// The name sent as SNI and checked against the certificate; `nil` sends none and checks
    /// the host as given (none for an IP address).
    public var serverName: String?
    /// Client certificate and key (PEM files) for mutual TLS, if the broker asks.
    public var certificateFile: String?
    public var keyFile: String?
    /// Lowest version offered. Default: TLS 1.2.
    public var minimumVersion: TLSVersion
    /// Highest version offered; `nil`: the highest NIOSSL speaks (TLS 1.3). Default: `nil`.
    public var maximumVersion: TLSVersion?

    public init(
        caFile: String? = nil,
        serverName: String? = nil,
        certificateFile: String? = nil,
        keyFile: String? = nil,
        minimumVersion: TLSVersion = .tlsv12,
        maximumVersion: TLSVersion? = nil
    ) {
        self.caFile = caFile
        self.serverName = serverName
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.minimumVersion = minimumVersion
        self.maximumVersion = maximumVersion
    }

    /// A TLS client context for these settings. Build it once and share it between
    /// connections where many open (``MQTTClientDriver/Settings/tlsContext``).
    /// - Throws: NIOSSL's error for unreadable PEM files.
    public func makeContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = minimumVersion
        if let maximumVersion { configuration.maximumTLSVersion = maximumVersion }
        if let caFile { configuration.trustRoots = .file(caFile) }
        if let certificateFile, let keyFile {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
        }
        return try NIOSSLContext(configuration: configuration)
    }

    /// The TLS handler for a connection to `host` with `context`.
    /// - Throws: NIOSSL's error for an unusable server name.
    func makeHandler(context: NIOSSLContext, host: String) throws -> NIOSSLClientHandler {
        let name = serverName ?? (host.first?.isNumber == true ? nil : host)
        return try NIOSSLClientHandler(context: context, serverHostname: name)
    }
}

/// Where a client connects: host, port, and TLS (`nil` for plain TCP).
public struct BrokerEndpoint: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var tls: ClientTLS?
    /// How MQTT travels on the connection: directly on TCP (or TLS), or in WebSocket frames.
    public var transport: BrokerTransport

    public init(host: String, port: Int, tls: ClientTLS? = nil, transport: BrokerTransport = .direct) {
        self.host = host
        self.port = port
        self.tls = tls
        self.transport = transport
    }
}

/// How MQTT travels to a broker.
public enum BrokerTransport: Sendable, Hashable {
    /// MQTT directly on TCP, or on TLS.
    case direct
    /// MQTT over WebSockets: an HTTP upgrade on `path` with subprotocol `mqtt`, then binary
    /// frames (over TLS: `wss`). The IoT hub's path is `/$iothub/websocket`.
    case webSockets(path: String)

    /// MQTT over WebSockets as an IoT hub serves it, at `/$iothub/websocket`.
    public static let iotHubWebSockets = BrokerTransport.webSockets(path: MQTTWebSocketEndpoint.path)
}
