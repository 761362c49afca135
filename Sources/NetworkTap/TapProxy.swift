import MQTTCore
import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy a device connects through to reach a real broker: bytes pass unchanged, and
/// every MQTT packet in both directions is decoded and recorded with its time, so a real board
/// or a firmware process still gets packet-level timing in the reports.
public final class TapProxy: Sendable {
    /// Something the proxy saw besides packets.
    public enum Event: Sendable, Hashable {
        /// A device connected to the proxy and the proxy reached the broker.
        case opened(connection: UInt64)
        /// The proxy could not reach the broker for a device; the device was disconnected.
        case upstreamFailed(connection: UInt64, reason: String)
        /// Bytes in one direction were not MQTT; they still passed through.
        case malformed(connection: UInt64, direction: PacketDirection, reason: String)
        /// Either side closed the connection.
        case closed(connection: UInt64)
    }

    private let group: any EventLoopGroup
    private let upstreamHost: String
    private let upstreamPort: Int
    private let tap: any PacketTap
    private let clock: any MonotonicClock
    private let observer: (@Sendable (Event) -> Void)?
    private let state = Mutex<(channel: (any Channel)?, lastConnection: UInt64)>((nil, 0))

    /// Creates a proxy to `upstreamHost:upstreamPort`; records packets with `tap` (direction
    /// as the device sees it: to the broker is outbound).
    public init(
        upstreamHost: String,
        upstreamPort: Int,
        group: any EventLoopGroup,
        tap: any PacketTap,
        clock: any MonotonicClock = SystemMonotonicClock(),
        observer: (@Sendable (Event) -> Void)? = nil
    ) {
        self.upstreamHost = upstreamHost
        self.upstreamPort = upstreamPort
        self.group = group
        self.tap = tap
        self.clock = clock
        self.observer = observer
    }

    /// Starts listening on `host:port` (0 picks a free port).
    /// - Returns: the bound port.
    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> Int {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { [self] child in
                child.eventLoop.makeCompletedFuture {
                    self.connect(child)
                }
            }
            .bind(host: host, port: port)
            .get()
        state.withLock { $0.channel = channel }
        return channel.localAddress?.port ?? port
    }

    /// The port the proxy listens on, once started.
    public var port: Int? { state.withLock { $0.channel?.localAddress?.port } }

    /// Stops listening; open connections close when their peers do.
    public func stop() async {
        let channel = state.withLock { state in
            defer { state.channel = nil }
            return state.channel
        }
        try? await channel?.close()
    }

    private func connect(_ device: any Channel) {
        let connection = state.withLock { state -> UInt64 in
            state.lastConnection += 1
            return state.lastConnection
        }
        let tap = self.tap
        let clock = self.clock
        let observer = self.observer
        let malformed: @Sendable (PacketDirection) -> @Sendable (MQTTDecodingError) -> Void = { direction in
            { error in observer?(.malformed(connection: connection, direction: direction, reason: "\(error)")) }
        }
        ClientBootstrap(group: device.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(host: upstreamHost, port: upstreamPort)
            .whenComplete { result in
                switch result {
                case .failure(let error):
                    observer?(.upstreamFailed(connection: connection, reason: "\(error)"))
                    device.close(promise: nil)
                case .success(let upstream):
                    let (deviceGlue, upstreamGlue) = GlueHandler.makePair()
                    do {
                        try device.pipeline.syncOperations.addHandlers([
                            StreamTapHandler(connection: connection, direction: .outbound, tap: tap, clock: clock, onMalformed: malformed(.outbound)),
                            deviceGlue,
                        ])
                        try upstream.pipeline.syncOperations.addHandlers([
                            StreamTapHandler(connection: connection, direction: .inbound, tap: tap, clock: clock, onMalformed: malformed(.inbound)),
                            upstreamGlue,
                        ])
                    } catch {
                        device.close(promise: nil)
                        upstream.close(promise: nil)
                        return
                    }
                    observer?(.opened(connection: connection))
                    device.closeFuture.whenComplete { _ in observer?(.closed(connection: connection)) }
                    // The device was held until the broker answered; now both sides flow.
                    device.setOption(.autoRead, value: true).whenFailure { _ in device.close(promise: nil) }
                }
            }
    }
}
