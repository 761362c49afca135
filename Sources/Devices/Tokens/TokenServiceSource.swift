import Foundation
import IoTHubCore
import MQTTClient
import MQTTClientCore
import MQTTCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// Where a token service listens: `http://host:port/path`.
public struct TokenServiceEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// The request path, for example `/api/token`.
    public var path: String

    public init(host: String, port: Int, path: String = "/api/token") {
        self.host = host
        self.port = port
        self.path = path
    }

    /// Parses `http://host:port/path`.
    /// - Throws: ``TokenSourceError`` saying what is wrong with the text.
    public init(url text: String) throws(TokenSourceError) {
        let source = "token service URL '\(text)'"
        guard text.hasPrefix("http://") else {
            throw TokenSourceError(source: source, reason: "only http:// URLs are supported (the token service runs on loopback)")
        }
        let rest = text.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        guard let colon = authority.lastIndex(of: ":"), let port = Int(authority[authority.index(after: colon)...]), (1...65_535).contains(port) else {
            throw TokenSourceError(source: source, reason: "it needs a host and a port, for example http://127.0.0.1:8080/api/token")
        }
        let host = String(authority[..<colon])
        guard !host.isEmpty else { throw TokenSourceError(source: source, reason: "the host is empty") }
        self.init(host: host, port: port, path: path.isEmpty ? "/api/token" : String(path))
    }

    public var description: String { "http://\(host):\(port)\(path)" }
}

/// Tokens fetched from a token service over HTTP, the seed's planned next step ("tokens
/// minted off the board"): `GET {path}?device={id}&ttl={seconds}` with header
/// `x-functions-key: {key}` answers 200 with the SAS token as `text/plain`; 401 means a wrong
/// key, 404 an unknown device, 400 a bad ttl.
public struct TokenServiceSource: TokenSource {
    public var endpoint: TokenServiceEndpoint
    /// The `x-functions-key` header value. Secret.
    public var functionKey: String
    public var deviceID: DeviceID
    public var ttl: Duration
    public var group: any EventLoopGroup
    /// Longest time one request may take. Default: 5 s.
    public var timeout: Duration

    public init(endpoint: TokenServiceEndpoint, functionKey: String, deviceID: DeviceID, ttl: Duration, group: any EventLoopGroup, timeout: Duration = .seconds(5)) {
        self.endpoint = endpoint
        self.functionKey = functionKey
        self.deviceID = deviceID
        self.ttl = ttl
        self.group = group
        self.timeout = timeout
    }

    public var summary: String { "token service \(endpoint) (ttl \(ttl.nanoseconds / 1_000_000_000)s)" }

    /// The request target: path and query.
    public var requestTarget: String {
        "\(endpoint.path)?device=\(PercentEncoding.encode(deviceID.string))&ttl=\(ttl.nanoseconds / 1_000_000_000)"
    }

    public func token() async throws -> ClientToken {
        let response = try await exchange()
        let body = response.body.trimmingCharacters(in: [" ", "\n", "\r", "\t"])
        switch response.status {
        case .ok:
            guard !body.isEmpty else { throw error("answered 200 with an empty body") }
            return ClientToken(sasToken: body)
        case .unauthorized:
            throw error("refused the function key (401)")
        case .notFound:
            throw error("does not know device '\(deviceID)' (404)")
        case .badRequest:
            throw error("refused the request (400): \(body.prefix(200))")
        default:
            throw error("answered HTTP \(response.status.code)")
        }
    }

    private func error(_ reason: String) -> TokenSourceError {
        TokenSourceError(source: "token service \(endpoint)", reason: reason)
    }

    private func exchange() async throws -> TokenServiceResponse {
        let loop = group.next()
        let promise = loop.makePromise(of: TokenServiceResponse.self)
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: requestTarget)
        head.headers.add(name: "Host", value: "\(endpoint.host):\(endpoint.port)")
        head.headers.add(name: "x-functions-key", value: functionKey)
        head.headers.add(name: "Connection", value: "close")
        let requestHead = head
        let timeout = self.timeout
        let failure = error("did not answer within \(timeout)")
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .connectTimeout(.nanoseconds(timeout.nanoseconds))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(TokenResponseCollector(promise: promise))
                    }
                }
                .connect(host: endpoint.host, port: endpoint.port)
                .get()
        } catch {
            promise.fail(error)
            throw self.error(TransportErrorText.describe(error, address: "\(endpoint.host):\(endpoint.port)", peer: "token service"))
        }
        let timer = loop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) { promise.fail(failure) }
        channel.write(HTTPClientRequestPart.head(requestHead), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        do {
            return try await promise.futureResult.get()
        } catch let error as TokenSourceError {
            throw error
        } catch {
            throw self.error("the exchange failed: \(TransportErrorText.describe(error, peer: "token service"))")
        }
    }
}

/// The status and body of a token service answer.
struct TokenServiceResponse: Sendable {
    var status: HTTPResponseStatus
    var body: String
}

/// Collects one HTTP response and completes the promise with it.
private final class TokenResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<TokenServiceResponse>
    private var status: HTTPResponseStatus?
    private var body = ByteBuffer()

    init(promise: EventLoopPromise<TokenServiceResponse>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            let status = self.status ?? .internalServerError
            promise.succeed(TokenServiceResponse(status: status, body: String(buffer: body)))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(TokenSourceError(source: "token service", reason: "closed the connection before answering"))
        context.fireChannelInactive()
    }
}
