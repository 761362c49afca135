import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The server answered the WebSocket upgrade request with something other than
/// `101 Switching Protocols` and the subprotocol asked for.
public struct WebSocketUpgradeRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// The HTTP status, e.g. 404; 101 when the upgrade happened without the subprotocol.
    public var status: Int
    /// The server's reason (the response body, cut to 200 characters), or what was wrong.
    public var reason: String

    public init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    public var description: String {
        reason.isEmpty ? "the WebSocket upgrade was refused with HTTP \(status)" : "the WebSocket upgrade was refused with HTTP \(status): \(reason)"
    }
}

/// The client end of the HTTP upgrade to MQTT over WebSockets: on connection it sends
/// `GET <path>` with `Sec-WebSocket-Protocol: <subprotocol>`; on `101` with that subprotocol it
/// swaps HTTP for WebSocket frames and calls the caller's `upgraded` to add what follows.
/// Anything else fails the connection with a ``WebSocketUpgradeRefusal`` fired down the
/// pipeline, and closes it.
public enum WebSocketClientUpgrade {
    /// Adds the HTTP stage to a client channel before it connects.
    /// - Parameters:
    ///   - host: the `Host` header (the hub's host name).
    ///   - maximumFrameSize: the largest frame accepted from the server.
    ///   - upgraded: called on the channel's loop once frames flow; adds the handlers behind
    ///     the frame codec (``WebSocketMQTTBridge`` and the MQTT codec, say).
    public static func install(
        on channel: any Channel,
        host: String,
        path: String = MQTTWebSocketEndpoint.path,
        subprotocol: String = MQTTWebSocketEndpoint.subprotocol,
        maximumFrameSize: Int,
        upgraded: @escaping @Sendable (any Channel) throws -> Void
    ) throws {
        let requester = WebSocketUpgradeRequester(host: host, path: path, subprotocol: subprotocol)
        let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: maximumFrameSize, automaticErrorHandling: false) { channel, response in
            channel.eventLoop.makeCompletedFuture {
                let answered = response.headers["Sec-WebSocket-Protocol"].map { $0.lowercased() }
                guard answered == [subprotocol.lowercased()] else {
                    throw WebSocketUpgradeRefusal(status: 101, reason: "the server did not agree to the WebSocket subprotocol \(subprotocol)")
                }
                try upgraded(channel)
            }
        }
        let encoder = HTTPRequestEncoder()
        let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
        let upgradeHandler = NIOHTTPClientUpgradeHandler(
            upgraders: [upgrader],
            httpHandlers: [encoder, decoder, requester],
            upgradeCompletionHandler: { _ in }
        )
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(encoder)
        try pipeline.addHandler(decoder)
        try pipeline.addHandler(upgradeHandler)
        try pipeline.addHandler(requester)
    }
}

/// Sends the upgrade request when the connection opens, and turns a refusal (any response the
/// upgrade handler passes on) into a ``WebSocketUpgradeRefusal``.
final class WebSocketUpgradeRequester: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private let host: String
    private let path: String
    private let subprotocol: String
    private var refusal: (status: Int, body: String)?

    init(host: String, path: String, subprotocol: String) {
        self.host = host
        self.path = path
        self.subprotocol = subprotocol
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        headers.add(name: "Sec-WebSocket-Protocol", value: subprotocol)
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            refusal = (Int(head.status.code), "")
        case .body(let body):
            if var refusal, refusal.body.utf8.count < 200 {
                refusal.body += String(buffer: body)
                self.refusal = refusal
            }
        case .end:
            guard let refusal else { return }
            let reason = String(refusal.body.trimmingTrailingNewlines().prefix(200))
            context.fireErrorCaught(WebSocketUpgradeRefusal(status: refusal.status, reason: reason))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The upgrade handler's own refusal comes before the response it passes on; the
        // response says more, so that is what is reported.
        if error is NIOHTTPClientUpgradeError { return }
        context.fireErrorCaught(error)
    }
}

@available(*, unavailable)
extension WebSocketUpgradeRequester: Sendable {}

extension String {
    fileprivate func trimmingTrailingNewlines() -> Substring {
        var slice = Substring(self)
        while let last = slice.last, last.isNewline { slice.removeLast() }
        return slice
    }
}
