import MQTTCore
import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy a device connects through to reach its hub or broker: bytes pass unchanged
/// (TLS included: the proxy never terminates it), every MQTT packet in both directions can be
/// decoded and recorded with its time (MQTT 3.1.1 or 5.0, as the device's CONNECT says), and network faults can be put on the path on demand
/// (see ``LinkFault``, ``apply(_:)`` and ``heal(_:)``).
///
/// With a tap, a real board or a firmware process gets packet-level timing in the reports; with
/// no tap (TLS passthrough) the proxy only relays and shapes bytes.
public final class TapProxy: Sendable {
    /// Something the proxy saw or did besides packets.
    public enum Event: Sendable, Hashable, CustomStringConvertible {
        /// A device connected to the proxy and the proxy reached the broker.
        case opened(connection: UInt64)
        /// The proxy could not reach the broker for a device; the device was disconnected.
        case upstreamFailed(connection: UInt64, reason: String)
        /// Bytes in one direction were not MQTT; they still passed through.
        case malformed(connection: UInt64, direction: PacketDirection, reason: String)
        /// Either side closed the connection.
        case closed(connection: UInt64)
        /// A fault was put on the link.
        case faultApplied(FaultOutcome)
        /// Faults were healed.
        case faultHealed(HealOutcome)
        /// A fault reset an open connection (RST both ways).
        case resetByFault(connection: UInt64)
        /// A fault closed an open connection (FIN both ways).
        case closedByFault(connection: UInt64)
        /// A connection the system accepted just before the proxy stopped listening was reset at
        /// once. (Attempts made while the proxy does not listen are refused by the system, which
        /// does not tell the proxy.)
        case refused(connection: UInt64)
        /// The proxy stopped listening: new connections are refused.
        case stoppedListening(port: Int)
        /// The proxy listens again on its port.
        case listening(port: Int)
        /// The proxy could not listen on its port again; new connections stay refused.
        case listenFailed(port: Int, reason: String)

        /// The event in plain words.
        public var description: String {
            switch self {
            case .opened(let connection): "connection \(connection) opened through the proxy"
            case .upstreamFailed(let connection, let reason): "connection \(connection): the proxy could not reach the broker: \(reason)"
            case .malformed(let connection, let direction, let reason): "connection \(connection): bytes \(direction == .outbound ? "to the hub" : "to the device") are not MQTT (\(reason)); they still passed through"
            case .closed(let connection): "connection \(connection) closed"
            case .faultApplied(let outcome): "fault applied: \(outcome)"
            case .faultHealed(let outcome): "fault healed: \(outcome)"
            case .resetByFault(let connection): "connection \(connection) reset by the fault"
            case .closedByFault(let connection): "connection \(connection) closed by the fault"
            case .refused(let connection): "connection \(connection) refused (reset as it arrived)"
            case .stoppedListening(let port): "the proxy stopped listening on port \(port): new connections are refused"
            case .listening(let port): "the proxy listens on port \(port) again"
            case .listenFailed(let port, let reason): "the proxy could not listen on port \(port) again: \(reason)"
            }
        }
    }

    /// A live connection, reachable from any thread through its event loop.
    struct Entry: Sendable {
        let eventLoop: any EventLoop
        let connection: NIOLoopBound<ProxiedConnection>
    }

    struct State {
        /// The listening socket, while listening.
        var listener: (any Channel)?
        /// Where the proxy listens, from ``start(host:port:)`` to ``stop()``.
        var address: (host: String, port: Int)?
        var lastConnection: UInt64 = 0
        var conditions = LinkConditions()
        var connections: [UInt64: Entry] = [:]
        var isReconciling = false
        var listenerFailure: String?
    }

    let group: any EventLoopGroup
    private let upstreamHost: String
    private let upstreamPort: Int
    private let tap: (any PacketTap)?
    private let clock: any MonotonicClock
    private let seed: UInt64
    let observer: (@Sendable (Event) -> Void)?
    let state = Mutex(State())

    /// Creates a proxy to `upstreamHost:upstreamPort`.
    /// - Parameters:
    ///   - tap: records every MQTT packet both ways (direction as the device sees it: to the
    ///     broker is outbound); `nil` relays bytes only (for TLS, which it cannot read).
    ///   - clock: stamps the tap's records. Shaping (delay, bandwidth, slice) runs on the
    ///     event loop's own timer clock, so its deadlines are exact.
    ///   - seed: seeds the jitter of delay faults; the same seed and traffic give the same
    ///     delays.
    ///   - observer: told of connections and of every fault applied, healed and carried out.
    public init(
        upstreamHost: String,
        upstreamPort: Int,
        group: any EventLoopGroup,
        tap: (any PacketTap)?,
        clock: any MonotonicClock = SystemMonotonicClock(),
        seed: UInt64 = 0,
        observer: (@Sendable (Event) -> Void)? = nil
    ) {
        self.upstreamHost = upstreamHost
        self.upstreamPort = upstreamPort
        self.group = group
        self.tap = tap
        self.clock = clock
        self.seed = seed
        self.observer = observer
    }

    /// Starts listening on `host:port` (0 picks a free port).
    /// - Returns: the bound port; `refuse` and `partition` listen on it again when healed.
    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> Int {
        let channel = try await bind(host: host, port: port)
        let bound = channel.localAddress?.port ?? port
        state.withLock { state in
            state.listener = channel
            state.address = (host, bound)
        }
        return bound
    }

    func bind(host: String, port: Int) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { [self] child in
                accept(child)
            }
            .bind(host: host, port: port)
            .get()
    }

    /// The port the proxy listens on, from ``start(host:port:)`` to ``stop()`` (also while a
    /// `refuse` or `partition` keeps it from listening).
    public var port: Int? { state.withLock { $0.address?.port } }

    /// Stops listening; open connections close when their peers do.
    public func stop() async {
        state.withLock { $0.address = nil }
        _ = await reconcileListener()
    }

    private func accept(_ device: any Channel) -> EventLoopFuture<Void> {
        let seed = self.seed
        let (number, accepted) = state.withLock { state -> (UInt64, Entry?) in
            state.lastConnection += 1
            let number = state.lastConnection
            guard !state.conditions.refusesConnections else { return (number, nil) }
            let connection = ProxiedConnection(number: number, device: device, conditions: state.conditions, seed: seed)
            let entry = Entry(eventLoop: device.eventLoop, connection: NIOLoopBound(connection, eventLoop: device.eventLoop))
            state.connections[number] = entry
            return (number, entry)
        }
        guard let entry = accepted else {
            // Accepted by the system just before the proxy stopped listening: refuse it as
            // closely as TCP allows, with a reset.
            observer?(.refused(connection: number))
            let lingering = (device as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0)) ?? device.eventLoop.makeSucceededVoidFuture()
            return lingering.flatMapThrowing { throw ChannelError.inappropriateOperationForState }
        }
        device.closeFuture.whenComplete { [self] _ in
            entry.connection.value.isDeviceClosed = true
            state.withLock { _ = $0.connections.removeValue(forKey: number) }
        }
        connectUpstream(entry)
        return device.eventLoop.makeSucceededVoidFuture()
    }

    private func connectUpstream(_ entry: Entry) {
        let device = entry.connection.value.device
        let connection = entry.connection.value.number
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
                    guard let glue = entry.connection.value.attach(upstream: upstream) else { return }
                    do {
                        // Both taps on the device's channel: what it sends as it arrives, what
                        // it receives as it leaves the proxy (after any shaping).
                        var deviceHandlers: [any ChannelHandler] = []
                        if let tap {
                            // One version for both directions: the device's CONNECT sets it.
                            let version = ConnectionVersion()
                            deviceHandlers.append(
                                StreamTapHandler(connection: connection, direction: .outbound, version: version, tap: tap, clock: clock, onMalformed: malformed(.outbound))
                            )
                            deviceHandlers.append(
                                StreamTapHandler(connection: connection, direction: .inbound, version: version, tap: tap, clock: clock, onMalformed: malformed(.inbound))
                            )
                        }
                        try device.pipeline.syncOperations.addHandlers(deviceHandlers + [glue.device])
                        try upstream.pipeline.syncOperations.addHandlers([glue.hub])
                    } catch {
                        device.close(promise: nil)
                        upstream.close(promise: nil)
                        return
                    }
                    observer?(.opened(connection: connection))
                    device.closeFuture.whenComplete { _ in observer?(.closed(connection: connection)) }
                    // The device was held until the broker answered; now both sides flow (or
                    // stay held, under a blackhole).
                    device.setOption(.autoRead, value: true).whenFailure { _ in device.close(promise: nil) }
                }
            }
    }
}
