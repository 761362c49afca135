import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Serves a ``HubServiceAPI`` over HTTP/1.1 (NIOHTTP1) on a loopback port: each request is
/// collected into a ``ServiceRequest``, answered by the API, and written back. Keep-alive is
/// supported; bodies above ``maximumBodySize`` get 413.
public final class ServiceHTTPServer: Sendable {
    /// Largest request body accepted: 512 KiB (C2D bodies are at most 64 KB).
    public static let maximumBodySize = 512 * 1024

    private let api: HubServiceAPI
    private let channel: Mutex<(any Channel)?>
    private let observer: (@Sendable (ServiceRequest, ServiceResponse) -> Void)?

    /// The server's connections live on the hub's event loop, so requests are carried out on
    /// the hub's state machine without thread hops.
    /// - Parameter observer: told about every request and its response (for logs); runs on the
    ///   hub's event loop and must not block.
    public init(api: HubServiceAPI, observer: (@Sendable (ServiceRequest, ServiceResponse) -> Void)? = nil) {
        self.api = api
        self.channel = Mutex(nil)
        self.observer = observer
    }

    /// Starts listening; port 0 picks a free one.
    /// - Returns: the bound port.
    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> Int {
        let api = self.api
        let observer = self.observer
        let server = try await ServerBootstrap(group: api.hub.loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true, withOutboundHeaderValidation: false)
                    try channel.pipeline.syncOperations.addHandler(ServiceHTTPHandler(api: api, observer: observer))
                }
            }
            .bind(host: host, port: port)
            .get()
        channel.withLock { $0 = server }
        return server.localAddress?.port ?? port
    }

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

/// Collects one request at a time and writes the API's answer.
final class ServiceHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let api: HubServiceAPI
    private let observer: (@Sendable (ServiceRequest, ServiceResponse) -> Void)?
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var isTooLarge = false
    /// Inside a read burst: responses are written now and flushed once at its end, so
    /// pipelined requests cost one write syscall, not one each.
    private var isReading = false
    private var needsFlush = false

    init(api: HubServiceAPI, observer: (@Sendable (ServiceRequest, ServiceResponse) -> Void)?) {
        self.api = api
        self.observer = observer
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        isReading = false
        if needsFlush {
            needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        isReading = true
        switch unwrapInboundIn(data) {
        case .head(let requestHead):
            head = requestHead
            body = []
            isTooLarge = false
        case .body(let buffer):
            if body.count + buffer.readableBytes > ServiceHTTPServer.maximumBodySize {
                isTooLarge = true
            } else {
                body += buffer.readableBytesView
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let request = ServiceRequest(method: head.method.rawValue, target: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: body)
            body = []
            let keepAlive = head.isKeepAlive
            let version = head.version
            if isTooLarge {
                write(.error(413, code: "MessageTooLarge", "the request body exceeds \(ServiceHTTPServer.maximumBodySize) bytes"), version: version, keepAlive: false, context: context)
                return
            }
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
                    let response = (try? result.get()) ?? .error(500, code: "ServerError", "the hub stopped")
                    observer?(request, response)
                    let (handler, context) = bound.value
                    handler.write(response, version: version, keepAlive: keepAlive, context: context)
                }
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
        if !keepAlive {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension ServiceHTTPHandler: Sendable {}
