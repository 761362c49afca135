import MQTTCore
import NIOCore
import NIOPosix
import NIOSSL

/// Opens a device client's connection as a ``ConnectRequest`` describes it: TCP with
/// `TCP_NODELAY`, TLS in front when the request asks, then the client's own handlers.
enum ClientTransport {
    /// Starts connecting on `loop`.
    /// - Parameter configure: adds the client's handlers (codec and driver) behind TLS; runs
    ///   on the channel's loop.
    /// - Returns: the connect future (it fails when the connection cannot be opened).
    /// - Throws: the TLS setup error (an unreadable CA or key file), before anything opens.
    static func open(
        _ request: ConnectRequest,
        on loop: any EventLoop,
        configure: @escaping @Sendable (any Channel) throws -> Void
    ) throws -> EventLoopFuture<any Channel> {
        let tls = try request.tls.map { settings in (settings: settings, context: try settings.makeContext()) }
        let host = request.host
        return ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try tls.settings.addHandler(to: channel, context: tls.context, host: host) }
                    try configure(channel)
                }
            }
            .connect(host: request.host, port: request.port)
    }

    /// Opens a device client's MQTT connection number `connection`: ``open(_:on:configure:)``
    /// with `before` (extra handlers next to the socket), the codec with the packet tap, and a
    /// ``ClientConnectionHandler`` feeding `driver`. A TLS setup error or a failed connect
    /// reaches `driver` as ``ClientTransportDriver/transportFailed(reason:connection:)``.
    /// Call on `loop`, the loop `driver` is bound to.
    static func openMQTT<Driver: ClientTransportDriver>(
        _ request: ConnectRequest,
        on loop: any EventLoop,
        connection: UInt64,
        driver: NIOLoopBound<Driver>,
        tap: (any PacketTap)?,
        clock: any MonotonicClock,
        before: @escaping @Sendable (any Channel) throws -> Void = { _ in }
    ) {
        let opening: EventLoopFuture<any Channel>
        do {
            opening = try open(request, on: loop) { channel in
                try before(channel)
                try channel.pipeline.syncOperations.addHandler(MQTTCodecHandler(configuration: .init(connection: connection, tap: tap, clock: clock)))
                try channel.pipeline.syncOperations.addHandler(ClientConnectionHandler(driver: driver.value, connection: connection))
            }
        } catch {
            driver.value.transportFailed(reason: "TLS: \(error)", connection: connection)
            return
        }
        opening.whenFailure { error in driver.value.transportFailed(reason: "\(error)", connection: connection) }
    }
}
