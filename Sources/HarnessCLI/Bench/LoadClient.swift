import Foundation
import MQTTCore
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Counters shared by every load connection of a benchmark run.
final class LoadCounters: Sendable {
    let ready = Atomic<Int>(0)
    let received = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
    let acknowledged = Atomic<Int>(0)
}

/// One simulated device (or publisher) of the benchmark: an MQTT client over TLS on NIO that
/// connects, subscribes to `filter` (if any) at QoS 1, and PUBACKs every QoS 1 PUBLISH.
final class LoadDeviceHandler: ChannelInboundHandler {
    typealias InboundIn = MQTTPacket
    typealias OutboundOut = MQTTPacket

    private let connect: ConnectPacket
    private let filter: TopicFilter?
    private let counters: LoadCounters
    private let onReady: EventLoopPromise<Void>
    private var isReady = false

    init(connect: ConnectPacket, filter: TopicFilter?, counters: LoadCounters, onReady: EventLoopPromise<Void>) {
        self.connect = connect
        self.filter = filter
        self.counters = counters
        self.onReady = onReady
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(.connect(connect)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .connack(let connack):
            guard connack.returnCode == .accepted else {
                fail(context, "CONNACK \(connack.returnCode)")
                return
            }
            if let filter {
                context.writeAndFlush(wrapOutboundOut(.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: filter, qos: .atLeastOnce)]))), promise: nil)
            } else {
                markReady()
            }
        case .suback:
            markReady()
        case .publish(let publish):
            if let packetID = publish.packetID, publish.qos == .atLeastOnce {
                context.write(wrapOutboundOut(.puback(packetID: packetID)), promise: nil)
            }
            counters.received.add(1, ordering: .relaxed)
        case .puback:
            // A publisher handler after this one keeps its window with these.
            context.fireChannelRead(data)
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context, "\(error)")
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !isReady { onReady.fail(LoadError(description: "connection closed before it was ready")) }
        context.fireChannelInactive()
    }

    private func markReady() {
        guard !isReady else { return }
        isReady = true
        counters.ready.add(1, ordering: .relaxed)
        onReady.succeed()
    }

    private func fail(_ context: ChannelHandlerContext, _ reason: String) {
        counters.failed.add(1, ordering: .relaxed)
        if !isReady {
            isReady = true
            onReady.fail(LoadError(description: reason))
        }
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension LoadDeviceHandler: Sendable {}

/// A benchmark failure.
struct LoadError: Error, CustomStringConvertible {
    var description: String
}

/// Opens load connections.
struct LoadConnector: Sendable {
    var group: any EventLoopGroup
    var port: Int
    var tls: NIOSSLContext

    /// Connects one client and waits until it is ready (CONNACK, and SUBACK when subscribing).
    func open(connect: ConnectPacket, filter: TopicFilter?, counters: LoadCounters) async throws -> any Channel {
        let loop = group.next()
        let ready = loop.makePromise(of: Void.self)
        let tls = self.tls
        let channel = try await ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(30))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: "localhost"))
                    try channel.pipeline.syncOperations.addHandler(MQTTCodecHandler())
                    try channel.pipeline.syncOperations.addHandler(LoadDeviceHandler(connect: connect, filter: filter, counters: counters, onReady: ready))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        try await ready.futureResult.get()
        return channel
    }

    /// Opens every client, at most `parallel` handshakes at a time.
    func openAll(_ clients: [(ConnectPacket, TopicFilter?)], parallel: Int, counters: LoadCounters) async throws -> [any Channel] {
        try await withThrowingTaskGroup(of: (Int, any Channel).self) { group in
            var channels: [(Int, any Channel)] = []
            var next = 0
            func start() {
                let index = next
                let (connect, filter) = clients[index]
                group.addTask { (index, try await open(connect: connect, filter: filter, counters: counters)) }
                next += 1
            }
            while next < min(parallel, clients.count) { start() }
            while let result = try await group.next() {
                channels.append(result)
                if next < clients.count { start() }
            }
            return channels.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }
}

/// Resident memory of a process, from `/proc/{pid}/status` (VmRSS), in bytes.
enum ProcessMemory {
    static func residentBytes(of pid: Int32) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.split(separator: " ").compactMap { Int($0) }
            if let kilobytes = digits.first { return kilobytes * 1024 }
        }
        return nil
    }
}
