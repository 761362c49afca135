import IoTHubSimulationCore
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The hub refused a WebSocket upgrade; `reason` says why. Fired as a user event so the
/// connection handler reports it.
struct HubWebSocketRefused: Sendable {
    var reason: String
}

/// Answers every HTTP request the WebSocket upgrader lets through (any request it does not
/// upgrade) with the status and reason of ``WebSocketUpgradePolicy``, then closes the
/// connection. A malformed request gets 400. It sits behind the upgrade handler and leaves the
/// pipeline when an upgrade succeeds.
final class HubWebSocketGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let policy: WebSocketUpgradePolicy
    private var answered = false

    init(policy: WebSocketUpgradePolicy) {
        self.policy = policy
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data), !answered else { return }
        let headers = head.headers.map { (name: $0.name, value: $0.value) }
        switch policy.decide(method: head.method.rawValue, uri: head.uri, headers: headers) {
        case .refuse(let status, let reason):
            refuse(context: context, status: status, reason: reason)
        case .upgrade:
            // The policy would upgrade, yet the upgrader did not: it found the request unfit.
            refuse(context: context, status: 400, reason: "the WebSocket upgrade request is not valid")
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The upgrader declining a request (wrong path or subprotocol) is an error to NIO; the
        // request follows, and is answered here with the reason.
        if error is NIOWebSocketUpgradeError { return }
        guard error is HTTPParserError else { return context.fireErrorCaught(error) }
        refuse(context: context, status: 400, reason: "the request is not valid HTTP/1.1")
    }

    private func refuse(context: ChannelHandlerContext, status: Int, reason: String) {
        guard !answered else { return }
        answered = true
        var body = context.channel.allocator.buffer(capacity: reason.utf8.count + 1)
        body.writeString(reason + "\n")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Connection", value: "close")
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let loopBound = context.loopBound
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            // Closed on the next tick: the report below goes first, while the hub still knows
            // the connection.
            loopBound.value.eventLoop.assumeIsolated().execute { loopBound.value.close(promise: nil) }
        }
        // After the answer is flushed: the hub may close the connection as it reports this.
        context.fireUserInboundEventTriggered(HubWebSocketRefused(reason: "HTTP \(status): \(reason)"))
    }
}

@available(*, unavailable)
extension HubWebSocketGate: Sendable {}
