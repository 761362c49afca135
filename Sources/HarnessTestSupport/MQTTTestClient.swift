import MQTTCore
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A raw MQTT client for integration tests: sends exactly the packets (or bytes) a test gives
/// and collects every packet it receives, so tests can check a server's answers precisely.
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
    public static func connect(
        host: String = "127.0.0.1",
        port: Int,
        group: any EventLoopGroup,
        tls: TLS? = nil
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
                    try channel.pipeline.syncOperations.addHandler(MQTTCodecHandler())
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
    public var lastError: (any Error)? {
        collector.lastError
    }

    /// Sends one packet.
    public func send(_ packet: MQTTPacket) async throws {
        try await channel.writeAndFlush(packet)
    }

    /// Waits for the next received packet, or returns `nil` if none arrives within `timeout`
    /// or the connection closed.
    public func receive(timeout: Duration = .seconds(5)) async -> MQTTPacket? {
        await collector.next(timeout: timeout)
    }

    /// Waits until the server closes the connection; returns whether it did within `timeout`.
    public func waitForClose(timeout: Duration = .seconds(5)) async -> Bool {
        await collector.waitForClose(timeout: timeout)
    }

    public func close() async {
        try? await channel.close()
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
        collector.record(error)
        context.close(promise: nil)
    }
}

private final class PacketCollector: Sendable {
    private struct State {
        var packets: [MQTTPacket] = []
        var isClosed = false
        var lastError: (any Error)?
    }

    private let state = Mutex(State())

    func append(_ packet: MQTTPacket) { state.withLock { $0.packets.append(packet) } }
    func markClosed() { state.withLock { $0.isClosed = true } }
    func record(_ error: any Error) { state.withLock { $0.lastError = error } }
    var lastError: (any Error)? { state.withLock { $0.lastError } }

    func next(timeout: Duration) async -> MQTTPacket? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let packet = state.withLock { state -> MQTTPacket?? in
                if !state.packets.isEmpty { return .some(state.packets.removeFirst()) }
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
