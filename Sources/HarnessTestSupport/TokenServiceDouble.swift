import Foundation
import IoTHubCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A test double of the token service contract the simulated hub serves:
/// `GET /api/token?device={id}&ttl={seconds}` with header `x-functions-key: {key}` answers
/// 200 `text/plain` with a SAS token signed by the device's key; 401 for a wrong key, 404 for
/// an unknown device, 400 for a missing or bad ttl. It signs with the clock it is given.
public final class TokenServiceDouble: Sendable {
    private let channel: any Channel
    /// The port it listens on (127.0.0.1).
    public let port: Int
    private let log: RequestLog

    /// Starts listening on 127.0.0.1 on a free port.
    /// - Parameters:
    ///   - devices: device keys by id.
    ///   - now: the Unix seconds tokens are signed at.
    public static func start(
        hostName: String,
        functionKey: String,
        devices: [DeviceID: DeviceKey],
        now: @escaping @Sendable () -> Int64,
        group: any EventLoopGroup
    ) async throws -> TokenServiceDouble {
        let log = RequestLog()
        let rules = Rules(hostName: hostName, functionKey: functionKey, devices: devices, now: now, log: log)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(TokenHandler(rules: rules))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return TokenServiceDouble(channel: channel, port: channel.localAddress?.port ?? 0, log: log)
    }

    private init(channel: any Channel, port: Int, log: RequestLog) {
        self.channel = channel
        self.port = port
        self.log = log
    }

    /// `http://127.0.0.1:{port}/api/token`.
    public var url: String { "http://127.0.0.1:\(port)/api/token" }

    /// How many requests it answered.
    public var requestCount: Int { log.count }

    public func stop() async {
        try? await channel.close()
    }
}

private final class RequestLog: Sendable {
    private let counter = Mutex(0)
    func record() { counter.withLock { $0 += 1 } }
    var count: Int { counter.withLock { $0 } }
}

private struct Rules: Sendable {
    var hostName: String
    var functionKey: String
    var devices: [DeviceID: DeviceKey]
    var now: @Sendable () -> Int64
    var log: RequestLog

    func answer(_ head: HTTPRequestHead) -> (HTTPResponseStatus, String) {
        log.record()
        guard let components = URLComponents(string: head.uri), components.path == "/api/token", head.method == .GET else {
            return (.notFound, "no such endpoint")
        }
        guard head.headers["x-functions-key"].first == functionKey else { return (.unauthorized, "wrong key") }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
        guard let ttlText = query["ttl"], let ttl = Int64(ttlText), ttl > 0 else { return (.badRequest, "ttl must be a positive number of seconds") }
        guard let deviceText = query["device"], let id = try? DeviceID(deviceText), let key = devices[id] else {
            return (.notFound, "unknown device")
        }
        let token = SASToken.make(resource: IoTHubCredentials.deviceResource(hostName: hostName, deviceID: id), key: key, expiry: now() + ttl)
        return (.ok, token.rendered)
    }
}

private final class TokenHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let rules: Rules

    init(rules: Rules) {
        self.rules = rules
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let (status, body) = rules.answer(head)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain")
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}
