import NIOCore

/// Sits between the transport (TLS or TCP) and the codec: reports every read exactly as it
/// arrived, and writes raw bytes past the codec. It decides nothing.
final class RawBytesHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let onRead: (ByteBuffer) -> Void
    private var context: ChannelHandlerContext?

    /// - Parameter onRead: called on the event loop with each read, before the codec sees it.
    init(onRead: @escaping (ByteBuffer) -> Void) {
        self.onRead = onRead
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        onRead(unwrapInboundIn(data))
        context.fireChannelRead(data)
    }

    /// Writes `bytes` towards the transport, bypassing the codec.
    func writeRaw(_ bytes: ByteBuffer) {
        context?.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
    }
}

@available(*, unavailable)
extension RawBytesHandler: Sendable {}
