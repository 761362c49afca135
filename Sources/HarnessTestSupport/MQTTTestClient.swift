import MQTTCore
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A raw MQTT client for integration tests: sends exactly the packets (or bytes) a test gives
/// and collects every packet it receives, so tests can check a server's answers precisely.
///
/// It runs our own ``MQTTCodecHandler``; bytes it cannot decode are kept as
/// ``decodingErrors`` (and close the connection), so a test can check that every byte a peer
/// sent decoded.
public final class MQTTTestClient: Sendable {
    private let channel: any Channel
    private let collector: PacketCollector

    private init(channel: any Channel, collector: PacketCollector) {
        self.channel = channel
        self.collector = collector
    }

    /// TLS settings for a test client.
    public struct TLS: Sendable {
        /// PEM file of the CA to trust; `nil` trusts the system's default roots only.
        public var trustedCAPath: String?
        /// The name sent as SNI and checked against the certificate. Default: `localhost`.
        public var serverHostname: String?
        /// Lowest TLS version offered. Default: TLS 1.2.
        public var minimumVersion: TLSVersion
        /// Highest TLS version offered. Default: TLS 1.3.
        public var maximumVersion: TLSVersion

        public init(
            trustedCAPath: String?,
            serverHostname: String? = "localhost",
            minimumVersion: TLSVersion = .tlsv12,
            maximumVersion: TLSVersion = .tlsv13
        ) {
            self.trustedCAPath = trustedCAPath
            self.serverHostname = serverHostname
            self.minimumVersion = minimumVersion
            self.maximumVersion = maximumVersion
        }
    }

    /// Connects to `host:port` over TCP, or over TLS when `tls` is given (the handshake runs
    /// when the first packet is sent; a failed handshake closes the connection and is kept as
    /// ``lastError``).
    /// - Parameters:
    ///   - tap: receives a record of every packet sent and received.
    ///   - connection: the connection number in the tap's records.
    public static func connect(
        host: String = "127.0.0.1",
        port: Int,
        group: any EventLoopGroup,
        tls: TLS? = nil,
        tap: (any PacketTap)? = nil,
        connection: UInt64 = 0
    ) async throws -> MQTTTestClient {
        let collector = PacketCollector()
        var context: NIOSSLContext?
        if let tls {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.minimumTLSVersion = tls.minimumVersion
            configuration.maximumTLSVersion = tls.maximumVersion
            if let path = tls.trustedCAPath {
                configuration.trustRoots = .file(path)
            }
            context = try NIOSSLContext(configuration: configuration)
        }
        let sslContext = context
        let serverHostname = tls?.serverHostname
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname))
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteCountingHandler(collector: collector))
                    try channel.pipeline.syncOperations.addHandler(MQTTCodecHandler(configuration: .init(connection: connection, tap: tap)))
                    try channel.pipeline.syncOperations.addHandler(CollectorHandler(collector: collector))
                }
            }
            .connect(host: host, port: port)
            .get()
        return MQTTTestClient(channel: channel, collector: collector)
    }

    /// The TLS version negotiated, once the handshake completed (`nil` for plain TCP or
    /// before the handshake).
    public func negotiatedTLSVersion() async -> TLSVersion? {
        try? await channel.nioSSL_tlsVersion().get()
    }

    /// The last error the connection saw (for example a failed TLS handshake).
    public var lastError: (any Error)? { collector.errors.last }

    /// Sends one packet.
    public func send(_ packet: MQTTPacket) async throws {
        try await channel.writeAndFlush(packet)
    }

    /// Sends raw bytes, bypassing the encoder (for malformed input).
    public func sendRaw(_ bytes: [UInt8]) async throws {
        let channel = self.channel
        try await channel.eventLoop.flatSubmit {
            do {
                let context = try channel.pipeline.syncOperations.context(handlerType: MQTTCodecHandler.self)
                let promise = channel.eventLoop.makePromise(of: Void.self)
                context.writeAndFlush(NIOAny(ByteBuffer(bytes: bytes)), promise: promise)
                return promise.futureResult
            } catch {
                return channel.eventLoop.makeFailedFuture(error)
            }
        }.get()
    }

    /// Waits for the next received packet, or returns `nil` if none arrives within `timeout`
    /// or the connection closed.
    public func receive(timeout: Duration = .seconds(5)) async -> MQTTPacket? {
        await collector.next(timeout: timeout) { _ in true }
    }

    /// Waits for the first received packet that `matches`, leaving the others queued; `nil`
    /// if none arrives within `timeout` or the connection closed.
    public func receive(timeout: Duration = .seconds(5), where matches: @escaping @Sendable (MQTTPacket) -> Bool) async -> MQTTPacket? {
        await collector.next(timeout: timeout, where: matches)
    }

    /// Packets received and not yet taken by ``receive(timeout:)``.
    public var queuedPackets: [MQTTPacket] { collector.queued }

    /// Waits until the server closes the connection; returns whether it did within `timeout`.
    public func waitForClose(timeout: Duration = .seconds(5)) async -> Bool {
        await collector.waitForClose(timeout: timeout)
    }

    /// Errors the pipeline reported, decoding errors among them.
    public var errors: [any Error] { collector.errors }

    /// Bytes received from the peer, whole packets or not.
    public var receivedByteCount: Int { collector.receivedByteCount }

    /// Closes the connection without DISCONNECT.
    public func close() async {
        try? await channel.close()
    }

    /// Resets the connection (TCP RST, SO_LINGER 0) without DISCONNECT: the abrupt end a
    /// will message is for.
    public func reset() async {
        if let provider = channel as? any SocketOptionProvider {
            try? await provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
        }
        try? await channel.close()
    }
}

/// Counts the bytes that arrive, before the codec sees them.
private final class ByteCountingHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let collector: PacketCollector

    init(collector: PacketCollector) {
        self.collector = collector
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        collector.countBytes(unwrapInboundIn(data).readableBytes)
        context.fireChannelRead(data)
    }
}

private final class CollectorHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = MQTTPacket
    let collector: PacketCollector

    init(collector: PacketCollector) {
        self.collector = collector
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        collector.append(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        collector.markClosed()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        collector.recordError(error)
        context.close(promise: nil)
    }
}

private final class PacketCollector: Sendable {
    private struct State {
        var packets: [MQTTPacket] = []
        var isClosed = false
        var errors: [any Error] = []
        var receivedByteCount = 0
    }

    private let state = Mutex(State())

    func append(_ packet: MQTTPacket) { state.withLock { $0.packets.append(packet) } }
    func markClosed() { state.withLock { $0.isClosed = true } }
    func recordError(_ error: any Error) { state.withLock { $0.errors.append(error) } }
    func countBytes(_ count: Int) { state.withLock { $0.receivedByteCount += count } }

    var queued: [MQTTPacket] { state.withLock { $0.packets } }
    var errors: [any Error] { state.withLock { $0.errors } }
    var receivedByteCount: Int { state.withLock { $0.receivedByteCount } }

    func next(timeout: Duration, where matches: (MQTTPacket) -> Bool) async -> MQTTPacket? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let packet = state.withLock { state -> MQTTPacket?? in
                if let index = state.packets.firstIndex(where: matches) { return .some(state.packets.remove(at: index)) }
                return state.isClosed ? .some(nil) : .none
            }
            if let packet { return packet }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return nil
    }

    func waitForClose(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if state.withLock({ $0.isClosed }) { return true }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return false
    }
}
