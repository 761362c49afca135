import MQTTCore
import NIOCore
import NIOPosix
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

    /// Connects to `host:port` over TCP.
    public static func connect(host: String = "127.0.0.1", port: Int, group: any EventLoopGroup) async throws -> MQTTTestClient {
        let collector = PacketCollector()
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(MQTTCodecHandler())
                    try channel.pipeline.syncOperations.addHandler(CollectorHandler(collector: collector))
                }
            }
            .connect(host: host, port: port)
            .get()
        return MQTTTestClient(channel: channel, collector: collector)
    }

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
        context.close(promise: nil)
    }
}

private final class PacketCollector: Sendable {
    private struct State {
        var packets: [MQTTPacket] = []
        var isClosed = false
    }

    private let state = Mutex(State())

    func append(_ packet: MQTTPacket) { state.withLock { $0.packets.append(packet) } }
    func markClosed() { state.withLock { $0.isClosed = true } }

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
