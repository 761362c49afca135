import NIOCore
import NIOPosix
import Synchronization

/// A TCP server on loopback that writes back every byte it reads, and keeps, per connection,
/// how many reads it took, what it read, and how the connection ended.
final class EchoServer: Sendable {
    struct Connection: Sendable {
        var reads = 0
        var bytes: [UInt8] = []
        var sawEOF = false
        var error: (any Error)?
        var isClosed = false
    }

    private final class Echo: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let server: EchoServer
        let number: Int
        init(server: EchoServer, number: Int) {
            self.server = server
            self.number = number
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            server.update(number) {
                $0.reads += 1
                $0.bytes += buffer.readableBytesView
            }
            context.writeAndFlush(data, promise: nil)
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? ChannelEvent, case .inputClosed = event {
                server.update(number) { $0.sawEOF = true }
                context.close(promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            server.update(number) { $0.isClosed = true }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            server.update(number) { if $0.error == nil { $0.error = error } }
            context.close(promise: nil)
        }
    }

    private let connections = Mutex<[Connection]>([])
    private let channel = Mutex<(any Channel)?>(nil)

    /// Starts on a free loopback port; returns it.
    func start() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { [self] child in
                let number = connections.withLock { $0.append(Connection()); return $0.count - 1 }
                return child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(Echo(server: self, number: number))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        self.channel.withLock { $0 = channel }
        return channel.localAddress?.port ?? 0
    }

    func stop() async {
        try? await channel.withLock { $0 }?.close()
    }

    fileprivate func update(_ number: Int, _ body: (inout Connection) -> Void) {
        connections.withLock { body(&$0[number]) }
    }

    var all: [Connection] { connections.withLock { $0 } }

    /// Waits until `condition` holds for the connections; returns whether it did in `timeout`.
    func wait(timeout: Duration = .seconds(5), until condition: ([Connection]) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition(all), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(2)) }
        return condition(all)
    }
}
