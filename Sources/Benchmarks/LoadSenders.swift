import MQTTClient
import MQTTClientCore
import MQTTCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Hands out the next message index to whichever sender asks first.
final class MessageTicket: Sendable {
    private let next = Atomic<Int>(0)
    let total: Int

    init(total: Int) { self.total = total }

    /// The next index, or `nil` when every message has been taken.
    func take() -> Int? {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
        return index < total ? index : nil
    }
}

/// Sends C2D messages through the hub's service REST API on one keep-alive HTTP/1.1 connection
/// with `depth` pipelined requests in flight: the next goes out when an answer arrives (the
/// HTTP twin of an MQTT publisher keeping a window of unacknowledged QoS 1 messages).
final class HTTPLoadHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let ticket: MessageTicket
    private let path: @Sendable (Int) -> String
    private let headers: HTTPHeaders
    private let counters: LoadCounters
    private let done: EventLoopPromise<Void>
    private let depth: Int
    private let onSend: (@Sendable (Int) -> Void)?
    private var inFlight = 0
    private var isFinished = false

    /// - Parameter onSend: called with a message's index as its request is written.
    init(
        ticket: MessageTicket,
        depth: Int,
        path: @escaping @Sendable (Int) -> String,
        headers: HTTPHeaders,
        counters: LoadCounters,
        done: EventLoopPromise<Void>,
        onSend: (@Sendable (Int) -> Void)? = nil
    ) {
        self.ticket = ticket
        self.depth = depth
        self.path = path
        self.headers = headers
        self.counters = counters
        self.done = done
        self.onSend = onSend
    }

    func channelActive(context: ChannelHandlerContext) {
        for _ in 0..<depth { sendNext(context) }
        context.flush()
        context.fireChannelActive()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if head.status.code >= 300 { counters.failed.add(1, ordering: .relaxed) } else { counters.acknowledged.add(1, ordering: .relaxed) }
        case .body:
            break
        case .end:
            inFlight -= 1
            sendNext(context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !isFinished { done.fail(LoadError(description: "the service connection closed")) }
    }

    private func sendNext(_ context: ChannelHandlerContext) {
        guard let index = ticket.take() else {
            if inFlight == 0, !isFinished {
                isFinished = true
                done.succeed()
            }
            return
        }
        inFlight += 1
        let body = ByteBuffer(string: "m\(index)")
        var fields = headers
        fields.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path(index), headers: fields)
        onSend?(index)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

@available(*, unavailable)
extension HTTPLoadHandler: Sendable {}

/// Publishes QoS 1 messages on one load connection (the Mosquitto side's "C2D"), keeping
/// `window` unacknowledged at a time: the next goes out when a PUBACK completes one. Runs on
/// the connection's event loop.
final class LoadPublisher {
    private let topics: [TopicName]
    private let window: Int
    private let counters: LoadCounters
    private let done: EventLoopPromise<Void>
    private let onSend: (@Sendable (Int) -> Void)?
    private var next = 0
    private var inFlight = 0
    private var isFinished = false

    /// - Parameter onSend: called with a message's index as its PUBLISH starts.
    init(topics: [TopicName], window: Int, counters: LoadCounters, done: EventLoopPromise<Void>, onSend: (@Sendable (Int) -> Void)? = nil) {
        self.topics = topics
        self.window = window
        self.counters = counters
        self.done = done
        self.onSend = onSend
    }

    /// Publishes until `window` messages wait for their PUBACK, or none is left.
    func fill(_ driver: MQTTClientDriver) {
        while !isFinished, inFlight < window, next < topics.count {
            let message = ApplicationMessage(topic: topics[next], payload: ByteBuffer(string: "m\(next)"), qos: .atLeastOnce)
            onSend?(next)
            next += 1
            inFlight += 1
            driver.start(.publish(message)) { outcome in self.acknowledged(outcome, driver: driver) }
        }
    }

    private func acknowledged(_ outcome: MQTTClientSession.Outcome, driver: MQTTClientDriver) {
        inFlight -= 1
        guard !isFinished else { return }
        guard case .answered = outcome else {
            isFinished = true
            done.fail(LoadError(description: "the publisher's connection ended: \(outcome)"))
            return
        }
        counters.acknowledged.add(1, ordering: .relaxed)
        fill(driver)
        if next >= topics.count, inFlight == 0 {
            isFinished = true
            done.succeed()
        }
    }
}

@available(*, unavailable)
extension LoadPublisher: Sendable {}

/// C2D load through the hub's service REST API.
enum ServiceLoad {
    /// POSTs `total` messages (message `i`, body `m{i}`, to `ids[i % ids.count]`) to
    /// `/devices/{id}/messages/deviceBound` on one HTTP/1.1 connection with `window`
    /// pipelined requests in flight.
    /// - Parameter onSend: called with a message's index as its request is written.
    static func send(port: Int, token: String, ids: [String], total: Int, window: Int, counters: LoadCounters, onSend: (@Sendable (Int) -> Void)? = nil) async throws {
        let ticket = MessageTicket(total: total)
        let headers = HTTPHeaders([("Host", "127.0.0.1:\(port)"), ("Authorization", token)])
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let done = loop.makePromise(of: Void.self)
        let depth = window
        let channel = try await ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    let path: @Sendable (Int) -> String = { index in "/devices/\(ids[index % ids.count])/messages/deviceBound?api-version=2021-04-12" }
                    try channel.pipeline.syncOperations.addHandler(HTTPLoadHandler(ticket: ticket, depth: depth, path: path, headers: headers, counters: counters, done: done, onSend: onSend))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        try await done.futureResult.get()
        try await channel.close()
        if counters.failed.load(ordering: .relaxed) > 0 {
            throw LoadError(description: "hub: \(counters.failed.load(ordering: .relaxed)) C2D sends were refused")
        }
    }
}
