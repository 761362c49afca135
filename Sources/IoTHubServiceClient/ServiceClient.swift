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
public struct ServiceClient: Sendable {
    /// The API version sent with every request.
    public static let apiVersion = "2021-04-12"

    public var baseURL: URL

    /// `host:port` of the service API, for messages about reaching it.
    public var address: String {
        let isTLS = baseURL.scheme == "https"
        return "\(baseURL.host ?? "?"):\(baseURL.port ?? (isTLS ? 443 : 80))"
    }
    public var hostName: String
    public var policyName: String
    /// Secret.
    public var policyKey: DeviceKey

    /// Why a client could not be made.
    public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// A response: status, headers and body text.
    public struct Reply: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String

        /// Whether the status is 2xx.
        public var isSuccess: Bool { (200..<300).contains(status) }

        /// Whether the hub refused what was asked (400, 403, 404, 409, 412, 413, 429, ...) as
        /// opposed to failing to judge it: 401 (credentials), 408 and 5xx are no verdict.
        public var isRefusal: Bool { (400..<500).contains(status) && status != 401 && status != 407 && status != 408 }

        /// The `iothub-errorcode` header (`DeviceMaximumQueueDepthExceeded`, ...), if any.
        public var errorCode: String? { headers.first { $0.key.lowercased() == "iothub-errorcode" }?.value }

        /// The IoT Hub error code and message, for failures.
        public var errorDescription: String {
            "HTTP \(status)\(errorCode.map { " \($0)" } ?? ""): \(body)"
        }
    }

    public init(baseURL: URL, hostName: String, policyName: String, policyKey: DeviceKey) {
        self.baseURL = baseURL
        self.hostName = hostName
        self.policyName = policyName
        self.policyKey = policyKey
    }

    /// A client for the hub a service connection string names
    /// (`HostName=...;SharedAccessKeyName=...;SharedAccessKey=...`).
    /// - Parameter baseURL: the REST API's base URL; `https://<HostName>` when `nil`.
    /// - Throws: ``ConfigurationError`` saying what is wrong, never echoing the key.
    public init(connectionString text: String, baseURL: String? = nil) throws(ConfigurationError) {
        let parsed: ConnectionString
        do {
            parsed = try ConnectionString(parsing: text)
        } catch {
            throw ConfigurationError(description: "the service connection string is malformed: \(error)")
        }
        guard let name = parsed.sharedAccessKeyName, let key = parsed.sharedAccessKey else {
            throw ConfigurationError(description: "the service connection string needs SharedAccessKeyName and SharedAccessKey (a service policy)")
        }
        let base = baseURL ?? "https://\(parsed.hostName)"
        guard let url = URL(string: base), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw ConfigurationError(description: "'\(base)' is not an http or https URL")
        }
        self.init(baseURL: url, hostName: parsed.hostName, policyName: name, policyKey: key)
    }

    /// Sends a cloud-to-device message (`POST /devices/{id}/messages/deviceBound` with the
    /// `iothub-*` headers the service SDKs send). A message without an id gets a new UUID.
    /// The REST API has no header for an absolute expiry: only the time to live is sent.
    public func sendCloudToDevice(_ message: CloudToDeviceMessage, to deviceID: DeviceID) async throws -> Reply {
        let path = "/devices/\(PercentEncoding.encode(deviceID.string))/messages/deviceBound"
        let messageID = message.messageID ?? UUID().uuidString.lowercased()
        return try await send(method: "POST", path: path, headers: Self.headers(of: message, messageID: messageID), body: Data(message.payload.readableBytesView))
    }

    /// The request headers that carry a message's properties: `iothub-messageid`, the other
    /// system properties that are set, and `iothub-app-<name>` for each application property.
    static func headers(of message: CloudToDeviceMessage, messageID: String) -> [(String, String)] {
        var headers = [("iothub-messageid", messageID), ("Content-Type", "text/plain; charset=utf-8")]
        if let correlationID = message.correlationID { headers.append(("iothub-correlationid", correlationID)) }
        if let userID = message.userID { headers.append(("iothub-userid", userID)) }
        if let contentType = message.contentType { headers.append(("iothub-contenttype", contentType)) }
        if let contentEncoding = message.contentEncoding { headers.append(("iothub-contentencoding", contentEncoding)) }
        if let acknowledgement = message.acknowledgement { headers.append(("iothub-ack", acknowledgement.rawValue)) }
        if let timeToLive = message.timeToLive { headers.append(("iothub-expiry", String(timeToLive.wholeSeconds))) }
        for property in message.properties.properties { headers.append(("iothub-app-\(property.name)", property.value ?? "")) }
        return headers
    }

    /// Sends one request with a fresh service token valid for an hour.
    public func send(method: String, path: String, headers: [(String, String)] = [], body: Data = Data(), now: Date = Date()) async throws -> Reply {
        guard let host = baseURL.host, let scheme = baseURL.scheme else {
            throw ConfigurationError(description: "'\(baseURL)' is not a URL")
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
        let connecting = ClientBootstrap(group: group)
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
        let channel: any Channel
        do {
            channel = try await connecting.get()
        } catch {
            // The reply's promise must not be left unfulfilled (NIO traps on a leaked promise).
            promise.fail(error)
            throw error
        }
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
