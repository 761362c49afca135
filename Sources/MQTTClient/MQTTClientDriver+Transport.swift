import MQTTClientCore
import MQTTCore
import MQTTWebSocket
import NIOCore
import NIOPosix
import NIOSSL

extension MQTTClientDriver {
    /// Opens the next connection to ``endpoint``: TCP with `TCP_NODELAY`, TLS in front when
    /// the endpoint asks, the WebSocket upgrade and frames when it asks for WebSockets (the
    /// rest follows once the upgrade is done), raw bytes around the codec when the settings ask, the codec with
    /// the packet tap, and the handler that tags the pipeline's events with the connection's
    /// number. A TLS setup error or a failed connect reaches the session as a failed
    /// transport.
    func openTransport() {
        guard let endpoint else {
            transportFailed(reason: "internal: no endpoint to connect to", connection: connection)
            return
        }
        connection &+= 1
        let connection = self.connection
        output(.connecting(endpoint))
        let tls: (settings: ClientTLS, context: NIOSSLContext)?
        do {
            tls = try endpoint.tls.map { settings in (settings, try self.settings.tlsContext ?? settings.makeContext()) }
        } catch {
            transportFailed(reason: "TLS: " + TransportErrorText.describeSetup(error, settings: endpoint.tls), connection: connection)
            return
        }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let settings = self.settings
        let codec = MQTTCodecHandler.Configuration(
            maximumPacketSize: session.maximumIncomingPacketSize ?? MQTTPacket.maximumSize,
            connection: connection,
            tap: settings.tap,
            clock: settings.packetClock,
            protocolVersion: session.configuration.protocolVersion
        )
        var bootstrap = ClientBootstrap(group: eventLoop).channelOption(.socketOption(.tcp_nodelay), value: 1)
        if let timeout = settings.connectTimeout { bootstrap = bootstrap.connectTimeout(timeout) }
        if let localAddress = settings.localAddress {
            guard let source = try? SocketAddress(ipAddress: localAddress, port: 0) else {
                transportFailed(reason: "the source address '\(localAddress)' is not an IP address", connection: connection)
                return
            }
            bootstrap = Self.binding(bootstrap, to: source)
        }
        bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls { try pipeline.addHandler(tls.settings.makeHandler(context: tls.context, host: endpoint.host)) }
                    guard case .webSockets(let path) = endpoint.transport else {
                        try Self.addMQTTHandlers(to: channel, driver: bound.value, connection: connection, settings: settings, codec: codec, opening: tls != nil ? .afterHandshake : .whenActive)
                        return
                    }
                    let host = endpoint.tls?.serverName ?? endpoint.host
                    try WebSocketClientUpgrade.install(on: channel, host: host, path: path, maximumFrameSize: Self.maximumWebSocketFrameSize) { channel in
                        let pipeline = channel.pipeline.syncOperations
                        pipeline.removeHandler(try pipeline.handler(type: ConnectionHandler.self), promise: nil)
                        try pipeline.addHandler(WebSocketMQTTBridge(role: .client, maximumFrameSize: Self.maximumWebSocketFrameSize))
                        try Self.addMQTTHandlers(to: channel, driver: bound.value, connection: connection, settings: settings, codec: codec, opening: .whenAdded)
                    }
                    // Behind the HTTP stage: until the upgrade it only reports a failed connect.
                    try pipeline.addHandler(ConnectionHandler(driver: bound.value, connection: connection, opening: .byWebSocketUpgrade))
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
            .whenFailure { error in
                // A bind error reads like a connect error: say which source was asked for.
                let source = settings.localAddress.map { " from source address \($0)" } ?? ""
                bound.value.transportFailed(reason: TransportErrorText.describe(error, address: "\(endpoint.host):\(endpoint.port)") + source, connection: connection)
            }
    }

    /// The largest WebSocket frame a client accepts: the largest MQTT packet an IoT hub sends
    /// (256 KiB of payload and its headers).
    static let maximumWebSocketFrameSize = 262_144 + 4096

    /// The MQTT end of the pipeline: raw bytes around the codec when the settings ask, the
    /// codec (in the session's protocol version, with the packet tap), and the handler that
    /// tags the pipeline's events.
    static func addMQTTHandlers(to channel: any Channel, driver: MQTTClientDriver, connection: UInt64, settings: Settings, codec: MQTTCodecHandler.Configuration, opening: ConnectionHandler.Opening) throws {
        let pipeline = channel.pipeline.syncOperations
        let bound = NIOLoopBound(driver, eventLoop: channel.eventLoop)
        if settings.handlesRawBytes {
            // Raw writes go past the codec through this handler.
            try pipeline.addHandler(RawBytesHandler { bytes in bound.value.receivedBytes(bytes, connection: connection) })
        }
        try pipeline.addHandler(MQTTCodecHandler(configuration: codec))
        try pipeline.addHandler(ConnectionHandler(driver: driver, connection: connection, opening: opening))
    }

    /// `bootstrap` binding each connection to `source` (port 0) before it connects. On Linux
    /// an IPv4 source takes its port only at connect (`IP_BIND_ADDRESS_NO_PORT`), so the
    /// address's ports are shared between destinations as they are without a bind; otherwise
    /// every bound connection would hold a port of the whole range, whatever it connects to.
    static func binding(_ bootstrap: ClientBootstrap, to source: SocketAddress) -> ClientBootstrap {
        var bootstrap = bootstrap.bind(to: source)
        #if os(Linux)
        if case .v4 = source {
            let noPort = ChannelOptions.Types.SocketOption(level: .ip, name: NIOBSDSocket.Option(rawValue: 24))  // IP_BIND_ADDRESS_NO_PORT
            bootstrap = bootstrap.channelOption(noPort, value: 1)
        }
        #endif
        return bootstrap
    }
}
