import Foundation
import IoTHubCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A small client of the IoT Hub service REST API (the simulated hub's, or a real one's),
/// authorised with a service SAS token minted from a shared access policy key. It speaks
/// HTTP/1.1 through NIO (TLS for https) and sends header names exactly as given, so
/// `iothub-app-*` property names keep their case.
struct ServiceClient: Sendable {
    /// The API version sent with every request.
    static let apiVersion = "2021-04-12"

    var baseURL: URL
    var hostName: String
    var policyName: String
    /// Secret.
    var policyKey: DeviceKey

    /// A response: status, headers and body text.
    struct Reply: Sendable {
        var status: Int
        var headers: [String: String]
        var body: String

        /// The IoT Hub error code and message, for failures.
        var errorDescription: String {
            let code = headers.first { $0.key.lowercased() == "iothub-errorcode" }?.value
            return "HTTP \(status)\(code.map { " \($0)" } ?? ""): \(body)"
        }
    }

    /// Sends one request with a fresh service token valid for an hour.
    func send(method: String, path: String, headers: [(String, String)] = [], body: Data = Data(), now: Date = Date()) async throws -> Reply {
        guard let host = baseURL.host, let scheme = baseURL.scheme else {
            throw InvalidInput(description: "error: --hub: '\(baseURL)' is not a URL")
        }
        let isTLS = scheme == "https"
        let port = baseURL.port ?? (isTLS ? 443 : 80)
        let token = SASToken.make(resource: hostName, key: policyKey, expiry: Int64(now.timeIntervalSince1970) + 3600, policyName: policyName)
        var fields = HTTPHeaders()
        fields.add(name: "Host", value: baseURL.port.map { "\(host):\($0)" } ?? host)
        fields.add(name: "Authorization", value: token.rendered)
        fields.add(name: "Content-Length", value: String(body.count))
        fields.add(name: "Connection", value: "close")
        for (name, value) in headers { fields.add(name: name, value: value) }
        let head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: "\(path)?api-version=\(Self.apiVersion)", headers: fields)
        let sslContext = isTLS ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: Reply.self)
        let bodyBytes = Array(body)
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: host))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ReplyCollector(promise: promise))
                }
            }
            .connect(host: host, port: port)
            .get()
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if !bodyBytes.isEmpty {
            channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: bodyBytes))), promise: nil)
        }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        return try await promise.futureResult.get()
    }
}

/// Collects one HTTP response.
private final class ReplyCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<ServiceClient.Reply>
    private var reply = ServiceClient.Reply(status: 0, headers: [:], body: "")
    private var body: [UInt8] = []

    init(promise: EventLoopPromise<ServiceClient.Reply>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            reply.status = Int(head.status.code)
            for (name, value) in head.headers { reply.headers[name] = value }
        case .body(let buffer):
            body += buffer.readableBytesView
        case .end:
            reply.body = String(decoding: body, as: UTF8.self)
            promise.succeed(reply)
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)
    }
}
