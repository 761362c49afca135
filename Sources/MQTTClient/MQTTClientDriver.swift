import MQTTClientCore
import MQTTCore
import NIOCore
import NIOPosix
import NIOSSL

/// The one NIO driver of an ``MQTTClientSession``, confined to one event loop: it opens the
/// connection (TCP with `TCP_NODELAY`, TLS in front when the endpoint asks, raw bytes around
/// the codec, the codec with the packet tap), carries out the session's actions (timers and
/// token requests included), and completes the operations. It decides nothing itself: what
/// the client does is the session's and its configuration's.
///
/// Use it on its loop, or through ``MQTTClientConnection`` from anywhere.
public final class MQTTClientDriver {
    /// How the driver runs its connections.
    public struct Settings: Sendable {
        /// Receives every packet the client sends or receives. Default: none.
        public var tap: (any PacketTap)?
        /// Stamps the tap's records. Default: the system monotonic clock.
        public var packetClock: any MonotonicClock
        /// The session's time. Default: the system monotonic clock.
        public var sessionClock: SessionClock
        /// The connection number of the first connection in the tap's records; each later
        /// connection (and each restart) counts one up. Default: 1.
        public var firstConnection: UInt64
        /// Whether the pipeline carries raw bytes around the codec: every read is reported as
        /// it arrived (``Output/bytesReceived(_:)``) and raw writes are possible. Default: false.
        public var handlesRawBytes: Bool
        /// Whether every received packet is handed out too (``Output/packetReceived(_:)``), for
        /// a client that looks at all of them. Default: false.
        public var reportsPackets: Bool
        /// How long a TCP connect may take; `nil`: NIO's default. Default: `nil`.
        public var connectTimeout: TimeAmount?
        /// A TLS context made once (``ClientTLS/makeContext()``) for the endpoint's TLS, shared
        /// by many connections; `nil` makes one per connection. Default: `nil`.
        public var tlsContext: NIOSSLContext?
        /// Where the session's token requests go; `nil`: they fail. Default: `nil`.
        public var tokens: (@Sendable () async throws -> ClientToken)?
        /// The IPv4 or IPv6 address every connection binds as its source before connecting
        /// (any free port), for example `127.0.0.2` to spread a fleet's loopback connections
        /// over several addresses (``SourceAddressPool`` in Devices); `nil`: the system picks.
        /// It must be of the endpoint's address family. Default: `nil`.
        public var localAddress: String?

        public init(
            tap: (any PacketTap)? = nil,
            packetClock: any MonotonicClock = SystemMonotonicClock(),
            sessionClock: SessionClock = .monotonic(SystemMonotonicClock()),
            firstConnection: UInt64 = 1,
            handlesRawBytes: Bool = false,
            reportsPackets: Bool = false,
            connectTimeout: TimeAmount? = nil,
            tlsContext: NIOSSLContext? = nil,
            tokens: (@Sendable () async throws -> ClientToken)? = nil,
            localAddress: String? = nil
        ) {
            self.tap = tap
            self.packetClock = packetClock
            self.sessionClock = sessionClock
            self.firstConnection = firstConnection
            self.handlesRawBytes = handlesRawBytes
            self.reportsPackets = reportsPackets
            self.connectTimeout = connectTimeout
            self.tlsContext = tlsContext
            self.tokens = tokens
            self.localAddress = localAddress
        }
    }

    /// What the driver hands to the client's owner, on the event loop.
    public enum Output: Sendable {
        /// The client opens a network connection to the endpoint.
        case connecting(BrokerEndpoint)
        /// An application message for the client's application.
        case deliver(PublishPacket)
        case report(MQTTClientSession.Event)
        /// Bytes read from the connection exactly as they arrived (with
        /// ``Settings/handlesRawBytes``).
        case bytesReceived(ByteBuffer)
        /// Every packet received, before the session sees it (with ``Settings/reportsPackets``).
        case packetReceived(MQTTPacket)
        /// An error on the connection (a malformed packet, a failed TLS handshake); the
        /// connection closes after it.
        case transportError(any Error)
    }

    public private(set) var session: MQTTClientSession
    /// Where the next connection goes.
    public var endpoint: BrokerEndpoint?
    public let eventLoop: any EventLoop
    let settings: Settings
    let output: (Output) -> Void
    private(set) var channel: (any Channel)?
    private var raw: RawBytesHandler?
    private var completions: [MQTTClientSession.OperationID: (MQTTClientSession.Outcome) -> Void] = [:]
    private var lastOperation: UInt64 = 0
    /// The number of the current connection; events of older ones are dropped.
    var connection: UInt64
    private var timer: Scheduled<Void>?
    /// Bumped by ``restart()``: token answers for an older program run are dropped.
    private var epoch = 0
    /// Set by ``shutdown()``: the owner is tearing the client down, which is not a failure.
    private var isShutDown = false
    /// Above 0 while a read is handled: writes are flushed once the read completes.
    private var readDepth = 0
    private var needsFlush = false

    /// Creates a driver for a session with `configuration` on `eventLoop`; call it only there.
    /// - Parameter output: receives what the session hands out, on the event loop; must not
    ///   block.
    public init(
        configuration: MQTTClientConfiguration,
        settings: Settings = Settings(),
        eventLoop: any EventLoop,
        output: @escaping (Output) -> Void = { _ in }
    ) {
        self.session = MQTTClientSession(configuration: configuration)
        self.settings = settings
        self.eventLoop = eventLoop
        self.output = output
        self.connection = settings.firstConnection &- 1
    }

    private var now: Int64 { settings.sessionClock.now() }

    // MARK: Operations

    /// Starts `operation`; `completion` runs on the loop with its outcome.
    public func start(_ operation: MQTTClientSession.Operation, completion: @escaping (MQTTClientSession.Outcome) -> Void) {
        guard !isShutDown else {
            completion(.connectionEnded(reason: "the client was shut down"))
            return
        }
        lastOperation += 1
        let id = MQTTClientSession.OperationID(lastOperation)
        completions[id] = completion
        perform(session.start(operation, id: id, now: now))
    }

    /// Drops the connection without DISCONNECT and starts the session over (see
    /// ``MQTTClientSession/restart(now:)``); events of the dropped connection are ignored.
    public func restart() {
        timer?.cancel()
        timer = nil
        epoch += 1
        perform(session.restart(now: now))
        connection &+= 1
        channel = nil
        raw = nil
    }

    /// Stops the client for good: closes the connection and ends every waiting operation.
    public func shutdown() {
        isShutDown = true
        timer?.cancel()
        timer = nil
        connection &+= 1
        channel?.close(promise: nil)
        channel = nil
        raw = nil
        let waiting = completions.sorted { $0.key < $1.key }
        completions = [:]
        for (_, completion) in waiting { completion(.connectionEnded(reason: "the client was shut down")) }
    }

    /// Closes the connection without DISCONNECT; the session hears the close as any other.
    /// - Returns: a future that completes once the connection is closed.
    public func close() -> EventLoopFuture<Void> {
        guard let channel else { return eventLoop.makeSucceededVoidFuture() }
        return channel.close().recover { _ in }
    }

    /// Resets the connection (TCP RST, SO_LINGER 0) without DISCONNECT: the abrupt end a will
    /// message is for.
    /// - Returns: a future that completes once the connection is closed.
    public func reset() -> EventLoopFuture<Void> {
        guard let channel else { return eventLoop.makeSucceededVoidFuture() }
        let lingering = (channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0)) ?? eventLoop.makeSucceededVoidFuture()
        return lingering.recover { _ in }.flatMap { channel.close() }.recover { _ in }
    }

    /// The TLS version the current connection negotiated, once its handshake completed;
    /// `nil` for plain TCP, before the handshake or without a connection.
    public func negotiatedTLSVersion() -> EventLoopFuture<TLSVersion?> {
        guard let channel else { return eventLoop.makeSucceededFuture(nil) }
        return channel.nioSSL_tlsVersion().recover { _ in nil }
    }

    // MARK: Actions

    private func perform(_ actions: [MQTTClientSession.Action]) {
        for action in actions {
            switch action {
            case .openTransport:
                openTransport()
            case .send(let packet):
                guard let channel else { continue }
                channel.write(packet, promise: nil)
                needsFlush = true
            case .sendBytes(let bytes):
                if let version = RawConnectVersion.of(bytes), let channel,
                    let codec = try? channel.pipeline.syncOperations.handler(type: MQTTCodecHandler.self)
                {
                    // The broker answers a raw CONNECT in the version it names.
                    codec.protocolVersion = version
                }
                raw?.writeRaw(bytes)
            case .closeTransport:
                flush()
                channel?.close(promise: nil)
            case .deliver(let publish):
                output(.deliver(publish))
            case .report(let event):
                output(.report(event))
            case .complete(let id, let outcome):
                completions.removeValue(forKey: id)?(outcome)
            case .fetchToken:
                fetchToken()
            case .scheduleTick(let deadline):
                scheduleTick(at: deadline)
            }
        }
        if readDepth == 0 { flush() }
    }

    private func flush() {
        guard needsFlush else { return }
        needsFlush = false
        channel?.flush()
    }

    private func scheduleTick(at deadline: Int64) {
        timer?.cancel()
        var delay = max(0, deadline - now)
        if let longest = settings.sessionClock.longestSleep { delay = min(delay, longest) }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        timer = eventLoop.scheduleTask(in: .nanoseconds(delay)) {
            let driver = bound.value
            driver.timer = nil
            guard !driver.isShutDown else { return }
            driver.perform(driver.session.tick(now: driver.now))
        }
    }

    private func fetchToken() {
        guard let tokens = settings.tokens else {
            perform(session.tokenFailed(reason: "the device has no token source", now: now))
            return
        }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let loop = eventLoop
        let epoch = self.epoch
        Task {
            let result: Result<ClientToken, any Error>
            do {
                result = .success(try await tokens())
            } catch {
                result = .failure(error)
            }
            loop.execute {
                let driver = bound.value
                guard driver.epoch == epoch, !driver.isShutDown else { return }
                switch result {
                case .success(let token):
                    driver.perform(driver.session.tokenReceived(token, now: driver.now))
                case .failure(let error):
                    driver.perform(driver.session.tokenFailed(reason: "\(error)", now: driver.now))
                }
            }
        }
    }

    // MARK: Network events (from the pipeline, tagged with their connection)

    func transportConnected(_ channel: any Channel, connection: UInt64) {
        guard connection == self.connection, !isShutDown else {
            channel.close(promise: nil)
            return
        }
        self.channel = channel
        if settings.handlesRawBytes {
            // The raw-bytes handler this connection's pipeline was built with.
            raw = try? channel.pipeline.syncOperations.handler(type: RawBytesHandler.self)
        }
        perform(session.transportConnected(now: now))
    }

    func received(_ packet: MQTTPacket, connection: UInt64) {
        guard connection == self.connection else { return }
        if settings.reportsPackets { output(.packetReceived(packet)) }
        readDepth += 1
        defer { readDepth -= 1 }
        perform(session.packetReceived(packet, now: now))
    }

    func readComplete(connection: UInt64) {
        guard connection == self.connection, readDepth == 0 else { return }
        flush()
    }

    func receivedBytes(_ bytes: ByteBuffer, connection: UInt64) {
        guard connection == self.connection else { return }
        output(.bytesReceived(bytes))
    }

    func transportError(_ error: any Error, connection: UInt64) {
        guard connection == self.connection else { return }
        if let malformed = error as? MQTTDecodingError {
            perform(session.malformedPacketReceived(malformed.description, tooLarge: malformed.isPacketTooLarge, now: now))
        }
        output(.transportError(error))
    }

    func transportFailed(reason: String, connection: UInt64) {
        guard connection == self.connection, !isShutDown else { return }
        perform(session.transportFailed(reason: reason, now: now))
    }

    func transportClosed(connection: UInt64) {
        guard connection == self.connection else { return }
        channel = nil
        raw = nil
        guard !isShutDown else { return }
        timer?.cancel()
        timer = nil
        perform(session.transportClosed(now: now))
    }
}

@available(*, unavailable)
extension MQTTClientDriver: Sendable {}

extension MQTTDecodingError {
    /// Whether the packet was refused for its size alone (above the codec's maximum).
    var isPacketTooLarge: Bool {
        switch self {
        case .packetTooLarge: true
        case .mqtt5(let error): error.isPacketTooLarge
        default: false
        }
    }
}
