#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix
import Synchronization

/// A plain TCP client for tests that play a misbehaving peer: it writes exactly the bytes it
/// is given, when it is told to, and keeps everything it receives and when the peer closed.
public final class RawSocketClient: Sendable {
    private let channel: any Channel
    private let state: Collector

    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received = Mutex<[UInt8]>([])
        let closedAt = Mutex<ContinuousClock.Instant?>(nil)
        let error = Mutex<(any Error)?>(nil)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLock { $0 += buffer.readableBytesView }
        }

        func channelInactive(context: ChannelHandlerContext) {
            closedAt.withLock { $0 = .now }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            self.error.withLock { if $0 == nil { $0 = error } }
            context.close(promise: nil)
        }
    }

    private init(channel: any Channel, state: Collector) {
        self.channel = channel
        self.state = state
    }

    /// Connects to `host:port`.
    public static func connect(host: String = "127.0.0.1", port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> RawSocketClient {
        let state = Collector()
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.allowRemoteHalfClosure, value: false)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(state) }
            }
            .connect(host: host, port: port)
            .get()
        return RawSocketClient(channel: channel, state: state)
    }

    /// Writes `bytes` as they are. A write to a closed connection is ignored.
    public func write(_ bytes: [UInt8]) async {
        try? await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
    }

    /// Writes the UTF-8 bytes of `text`.
    public func write(_ text: String) async {
        await write(Array(text.utf8))
    }

    /// Everything received so far.
    public var received: [UInt8] { state.received.withLock { $0 } }

    /// Everything received so far, as text.
    public var receivedText: String { String(decoding: received, as: UTF8.self) }

    /// Whether the connection is closed.
    public var isClosed: Bool { state.closedAt.withLock { $0 != nil } }

    /// The error that ended the connection, if it did not end cleanly (a reset is an
    /// `IOError` with `ECONNRESET`).
    public var closeError: (any Error)? { state.error.withLock { $0 } }

    /// Whether the peer reset the connection (TCP RST) rather than closing it.
    public var wasReset: Bool { (closeError as? IOError)?.errnoCode == ECONNRESET }

    /// Waits until the peer closes the connection.
    /// - Returns: whether it closed within `timeout`.
    public func waitForClose(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !isClosed, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        return isClosed
    }

    /// Waits until at least `count` bytes arrived or the connection closed.
    public func waitForBytes(_ count: Int, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while received.count < count, !isClosed, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
        return received.count >= count
    }

    /// Closes the connection from this side.
    public func close() async {
        try? await channel.close()
    }
}
