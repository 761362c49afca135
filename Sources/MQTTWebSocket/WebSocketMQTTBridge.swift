import NIOCore
import NIOWebSocket

/// Carries an MQTT byte stream in WebSocket binary frames, for either end of the connection.
///
/// Inbound, the payload of every binary (and continuation) frame is passed on as bytes, so an
/// MQTT packet may span frames and a frame may hold several packets: the MQTT codec behind
/// this handler frames packets as it does on TCP. Outbound, each buffer goes out as one binary
/// frame, masked when this end is the client (RFC 6455 section 5.3).
///
/// What MQTT over WebSockets forbids closes the connection with the WebSocket close code and
/// an error fired down the pipeline (``WebSocketTransportError``): a text frame (1003), an
/// unmasked frame from a client or a masked one from a server (1002), a frame over the size
/// bound (1009). Pings are answered with
/// pongs; a close is answered with a close, then the connection closes.
public final class WebSocketMQTTBridge: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = WebSocketFrame
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = WebSocketFrame

    /// Which end of the WebSocket this handler is.
    public enum Role: Sendable, Hashable {
        /// The hub: expects masked frames, sends unmasked ones.
        case server
        /// The device: sends masked frames, expects unmasked ones.
        case client
    }

    private let role: Role
    private let maximumFrameSize: Int
    private var closeSent = false

    /// - Parameters:
    ///   - role: which end this is.
    ///   - maximumFrameSize: the bound the frame decoder before this handler applies, named
    ///     when a frame exceeds it.
    public init(role: Role, maximumFrameSize: Int) {
        self.role = role
        self.maximumFrameSize = maximumFrameSize
    }

    /// Errors of NIO's frame decoder (a frame over the bound, a malformed control frame) close
    /// the connection as ``WebSocketTransportError``s, with their close codes.
    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? NIOWebSocketError else { return context.fireErrorCaught(error) }
        fail(context, WebSocketTransportError(error, maximumFrameSize: maximumFrameSize))
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard !closeSent else { return }
        switch (role, frame.maskKey) {
        case (.server, nil):
            return fail(context, WebSocketTransportError(closeCode: 1002, reason: "the client sent an unmasked frame"))
        case (.client, .some):
            return fail(context, WebSocketTransportError(closeCode: 1002, reason: "the server sent a masked frame"))
        default:
            break
        }
        switch frame.opcode {
        case .binary, .continuation:
            let payload = frame.unmaskedData
            if payload.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(payload)) }
        case .text:
            fail(context, WebSocketTransportError(closeCode: 1003, reason: "a text frame arrived; MQTT travels in binary frames"))
        case .ping:
            send(.pong, payload: frame.unmaskedData, context: context)
            context.flush()
        case .pong:
            break
        case .connectionClose:
            var payload = frame.unmaskedData
            let code = payload.readInteger(as: UInt16.self) ?? 1000
            var echo = context.channel.allocator.buffer(capacity: 2)
            echo.writeInteger(code)
            closeSent = true
            let loopBound = context.loopBound
            context.writeAndFlush(wrapOutboundOut(makeFrame(.connectionClose, payload: echo, context: context))).whenComplete { _ in
                loopBound.value.close(promise: nil)
            }
        default:
            fail(context, WebSocketTransportError(closeCode: 1002, reason: "a frame with the unknown opcode \(frame.opcode) arrived"))
        }
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = unwrapOutboundIn(data)
        context.write(wrapOutboundOut(makeFrame(.binary, payload: bytes, context: context)), promise: promise)
    }

    /// Sends a close frame with the error's code and reason, closes the connection and fires
    /// the error, so the handlers behind say why the connection ended.
    private func fail(_ context: ChannelHandlerContext, _ error: WebSocketTransportError) {
        guard !closeSent else { return }
        closeSent = true
        var payload = context.channel.allocator.buffer(capacity: 2 + 123)
        payload.writeInteger(error.closeCode)
        // A control frame's payload is at most 125 bytes: the reason is cut to fit.
        payload.writeBytes(Array(error.reason.utf8.prefix(123)))
        let loopBound = context.loopBound
        context.writeAndFlush(wrapOutboundOut(makeFrame(.connectionClose, payload: payload, context: context))).whenComplete { _ in
            // Closed on the next tick: the error below reaches the handlers behind first.
            loopBound.value.eventLoop.assumeIsolated().execute { loopBound.value.close(promise: nil) }
        }
        context.fireErrorCaught(error)
    }

    private func send(_ opcode: WebSocketOpcode, payload: ByteBuffer, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(makeFrame(opcode, payload: payload, context: context)), promise: nil)
    }

    private func makeFrame(_ opcode: WebSocketOpcode, payload: ByteBuffer, context: ChannelHandlerContext) -> WebSocketFrame {
        WebSocketFrame(fin: true, opcode: opcode, maskKey: role == .client ? .random() : nil, data: payload)
    }
}

@available(*, unavailable)
extension WebSocketMQTTBridge: Sendable {}
