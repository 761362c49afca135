import MQTTClient
import MQTTClientCore
import MQTTCore
import NIOCore
import NIOSSL
import Synchronization

/// A raw MQTT client for integration tests: sends exactly the packets (or bytes) a test gives
/// and collects every packet it receives, so tests can check a server's answers precisely.
///
/// It is the client engine configured to answer nothing by itself (no acknowledgements, no
/// pings, no protocol checks); every packet goes out as a raw write through our own
/// ``MQTTCodecHandler``. Bytes it cannot decode are kept as ``errors`` (and close the
/// connection), so a test can check that every byte a peer sent decoded.
public final class MQTTTestClient: Sendable {
    private let connection: MQTTClientConnection
    private let collector: PacketCollector

    private init(connection: MQTTClientConnection, collector: PacketCollector) {
        self.connection = connection
        self.collector = collector
    }

    /// TLS settings for a test client (see the initializer below).
    public typealias TLS = ClientTLS

    /// Why the test client could not connect.
    public struct ConnectError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The session's configuration: a client that does nothing by itself.
    static let configuration = MQTTClientConfiguration(
        name: "test client",
        keepAlive: .off,
        acknowledgements: .none,
        protocolViolations: .tolerate,
        allowsConcurrentOperations: true
    )

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
        let settings = MQTTClientDriver.Settings(tap: tap, firstConnection: connection, handlesRawBytes: true, reportsPackets: true)
        let client = MQTTClientConnection(configuration: configuration, settings: settings, eventLoop: group.next()) { output in
            switch output {
            case .packetReceived(let packet): collector.append(packet)
            case .bytesReceived(let bytes): collector.countBytes(bytes.readableBytes)
            case .transportError(let error): collector.recordError(error)
            case .report(.disconnected): collector.markClosed()
            case .connecting, .deliver, .report: break
            }
        }
        let outcome = await client.perform(.open, endpoint: BrokerEndpoint(host: host, port: port, tls: tls))
        guard outcome == .done else { throw ConnectError(description: "cannot connect to \(host):\(port): \(outcome)") }
        return MQTTTestClient(connection: client, collector: collector)
    }

    /// The TLS version negotiated, once the handshake completed (`nil` for plain TCP or
    /// before the handshake).
    public func negotiatedTLSVersion() async -> TLSVersion? {
        try? await connection.withDriver { $0.negotiatedTLSVersion() }.get()
    }

    /// The last error the connection saw (for example a failed TLS handshake).
    public var lastError: (any Error)? { collector.errors.last }

    /// Sends one packet.
    /// - Throws: ``ConnectError`` when the connection is closed.
    public func send(_ packet: MQTTPacket) async throws {
        try await write(.packet(packet))
    }

    /// Sends raw bytes, bypassing the encoder (for malformed input).
    /// - Throws: ``ConnectError`` when the connection is closed.
    public func sendRaw(_ bytes: [UInt8]) async throws {
        try await write(.bytes(ByteBuffer(bytes: bytes)))
    }

    private func write(_ raw: MQTTClientSession.RawWrite) async throws {
        try await connection.withDriver { driver in
            guard driver.session.isTransportOpen else { throw ConnectError(description: "the connection is closed") }
            driver.start(.write(raw)) { _ in }
        }
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
        await connection.close()
    }

    /// Resets the connection (TCP RST, SO_LINGER 0) without DISCONNECT: the abrupt end a
    /// will message is for.
    public func reset() async {
        await connection.reset()
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

extension ClientTLS {
    /// TLS for a test client: trusts `trustedCAPath` (`nil`: the system's roots only), sends
    /// `serverHostname` as SNI, and offers the versions from `minimumVersion` to
    /// `maximumVersion`.
    public init(trustedCAPath: String?, serverHostname: String? = "localhost", minimumVersion: TLSVersion = .tlsv12, maximumVersion: TLSVersion = .tlsv13) {
        self.init(caFile: trustedCAPath, serverName: serverHostname, minimumVersion: minimumVersion, maximumVersion: maximumVersion)
    }
}
