import IoTHubCore
import IoTHubSimulationCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Serves a ``HubServiceAPI`` over HTTP/1.1 (NIOHTTP1) on a loopback port: each request is
/// collected into a ``ServiceRequest``, answered by the API, and written back. Keep-alive is
/// supported. ``ServiceHTTPLimits`` bound what a client can hold: a whole request must arrive
/// within the request timeout, a body above the limit gets 413 from its `Content-Length`
/// alone, a malformed request gets 400, and in each case the connection is closed; beyond
/// the connection limit new connections get a `503` (`ServerBusy`, `Connection: close`) and are
/// closed at once.
public final class ServiceHTTPServer: Sendable {
    private let api: HubServiceAPI
    private let channel: Mutex<(any Channel)?>
    private let observer: (@Sendable (ServiceRequest, ServiceResponse) -> Void)?
    /// The limits this server enforces.
    public let limits: ServiceHTTPLimits
    private let openConnections = ConnectionCounter()
    private let lingeringRefusals = ConnectionCounter()

    /// The server's connections live on the hub's event loop, so requests are carried out on
    /// the hub's state machine without thread hops.
    /// - Parameter observer: told about every request and its response (for logs); runs on the
    ///   hub's event loop and must not block.
    public init(api: HubServiceAPI, limits: ServiceHTTPLimits = ServiceHTTPLimits(), observer: (@Sendable (ServiceRequest, ServiceResponse) -> Void)? = nil) {
        self.api = api
        self.limits = limits
        self.channel = Mutex(nil)
        self.observer = observer
    }

    /// Starts listening; port 0 picks a free one.
    /// - Returns: the bound port.
    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> Int {
        let api = self.api
        let observer = self.observer
        let limits = self.limits
        let server = try await ServerBootstrap(group: api.hub.loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                guard self.admit(channel) else {
                    // Told why in a few bytes, without reading a request: a client sees a
                    // 503 it can retry on, not a connection reset. Those answers linger up to
                    // 2 s each, so they have a limit of their own: beyond it a connection is
                    // closed at once, and a flood cannot hold more descriptors than that.
                    guard self.admitRefusal(channel) else { return channel.close() }
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ServiceBusyResponder())
                    }
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true, withOutboundHeaderValidation: false)
                    try channel.pipeline.syncOperations.addHandler(ServiceHTTPHandler(api: api, limits: limits, observer: observer))
                }
            }
            .bind(host: host, port: port)
            .get()
        channel.withLock { $0 = server }
        return server.localAddress?.port ?? port
    }

    /// Counts a new connection in, or refuses it when the limit is reached.
    private func admit(_ channel: any Channel) -> Bool {
        openConnections.admit(channel, limit: limits.maximumConnections)
    }

    /// Counts a connection refused with a 503 in, or refuses even that when as many refusals
    /// as connections are already lingering.
    private func admitRefusal(_ channel: any Channel) -> Bool {
        lingeringRefusals.admit(channel, limit: limits.maximumConnections)
    }

    /// Connections open now.
    public var connectionCount: Int { openConnections.count }

    /// The bound port, once started.
    public var port: Int? { channel.withLock { $0?.localAddress?.port } }

    /// Stops listening.
    public func stop() async {
        let server = channel.withLock { current in
            defer { current = nil }
            return current
        }
        try? await server?.close()
    }
}

/// Collects one request at a time and writes the API's answer; a ``ServiceConnectionMachine``
/// decides about deadlines, sizes and closing.
final class ServiceHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let api: HubServiceAPI
    private let limits: ServiceHTTPLimits
    private let observer: (@Sendable (ServiceRequest, ServiceResponse) -> Void)?
    private var machine: ServiceConnectionMachine?
    private var timer: Scheduled<Void>?
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    /// Inside a read burst: responses are written now and flushed once at its end, so
    /// pipelined requests cost one write syscall, not one each.
    private var isReading = false
    private var needsFlush = false

    init(api: HubServiceAPI, limits: ServiceHTTPLimits, observer: (@Sendable (ServiceRequest, ServiceResponse) -> Void)?) {
        self.api = api
        self.limits = limits
        self.observer = observer
    }

    private static func now() -> Int64 {
        Int64(clamping: NIODeadline.now().uptimeNanoseconds)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard machine == nil else { return }
        let machine = ServiceConnectionMachine(limits: limits, openedAt: Self.now())
        self.machine = machine
        perform(machine.initialAction, context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        isReading = false
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The HTTP error handler before this one has answered a parse error with 400 and
        // `Connection: close`; the connection must then close, which it does not by itself.
        if error is HTTPParserError {
            timer?.cancel()
            machine = nil
            context.close(promise: nil)
            return
        }
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        isReading = true
        guard var machine else { return }
        let action: ServiceConnectionMachine.Action
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = []
            let length = requestHead.headers.first(name: "content-length").flatMap { Int($0) }
            action = machine.headReceived(contentLength: length)
        case .body(let buffer):
            action = machine.bodyReceived(byteCount: buffer.readableBytes)
            if action == .none { body += buffer.readableBytesView }
        case .end:
            action = machine.requestEnded()
        }
        self.machine = machine
        perform(action, context: context)
    }

    private func perform(_ action: ServiceConnectionMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .armTimer(let deadline):
            timer?.cancel()
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(deadline: .uptimeNanoseconds(UInt64(max(0, deadline)))) {
                let (handler, context) = bound.value
                handler.timerFired(context: context)
            }
        case .answerRequest:
            timer?.cancel()
            timer = nil
            answer(context: context)
        case .refuse(let code, let message):
            timer?.cancel()
            timer = nil
            let version = head?.version ?? .http1_1
            head = nil
            body = []
            write(.error(code, message), version: version, keepAlive: false, context: context)
        case .close:
            timer?.cancel()
            timer = nil
            context.close(promise: nil)
        }
    }

    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        guard var machine else { return }
        let action = machine.timerFired(at: Self.now())
        self.machine = machine
        perform(action, context: context)
    }

    private func answer(context: ChannelHandlerContext) {
        guard let head else { return }
        self.head = nil
        let request = ServiceRequest(method: head.method.rawValue, target: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: body)
        body = []
        let keepAlive = head.isKeepAlive
        let version = head.version
        // The server's connections live on the hub's loop (see `start`), so the answer is
        // computed right here; only a direct method's answer comes later.
        switch api.answer(request) {
        case .now(let response):
            observer?(request, response)
            write(response, version: version, keepAlive: keepAlive, context: context)
        case .later(let future):
            let observer = self.observer
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            future.hop(to: context.eventLoop).whenComplete { result in
                let response = (try? result.get()) ?? .error(.serverError, "the hub stopped")
                observer?(request, response)
                let (handler, context) = bound.value
                handler.write(response, version: version, keepAlive: keepAlive, context: context)
            }
        }
    }

    private func write(_ response: ServiceResponse, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        if !response.headers.isEmpty {
            for (name, value) in response.headers.sorted(by: { $0.key < $1.key }) { headers.add(name: name, value: value) }
        }
        headers.add(name: "Content-Length", value: response.body.isEmpty ? "0" : String(response.body.count))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        let done: EventLoopFuture<Void>
        if isReading, keepAlive {
            done = context.write(wrapOutboundOut(.end(nil)))
            needsFlush = true
        } else {
            done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        }
        if var machine, case .answering = machine.state {
            let action = machine.responseWritten(keepAlive: keepAlive, at: Self.now())
            self.machine = machine
            if action == .close {
                // Close once the response is out.
                let channel = context.channel
                done.whenComplete { _ in channel.close(promise: nil) }
            } else {
                perform(action, context: context)
            }
        } else {
            // A refusal: the machine is closing already.
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension ServiceHTTPHandler: Sendable {}

/// Connections of one kind open at once, with a limit: a channel is counted in when admitted
/// and out when it closes.
final class ConnectionCounter: Sendable {
    private let open = Atomic<Int>(0)

    /// How many are open now.
    var count: Int { open.load(ordering: .relaxed) }

    /// Counts `channel` in, or refuses it when `limit` are open already.
    func admit(_ channel: any Channel, limit: Int) -> Bool {
        let (_, now) = open.wrappingAdd(1, ordering: .relaxed)
        guard now <= limit else {
            open.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        channel.closeFuture.whenComplete { [self] _ in
            open.wrappingSubtract(1, ordering: .relaxed)
        }
        return true
    }
}
