import IoTHubCore
import IoTHubSimulationCore
import NIOCore

/// Answers a connection beyond the service port's connection limit: as soon as it is active,
/// writes one `503 Service Unavailable` with `iothub-errorcode: ServerBusy` and
/// `Connection: close`, closes its sending side, and closes the connection when the client
/// does (NIO closes a channel at the peer's end of input) or after ``linger`` at most. Whatever the client sends is dropped unparsed; reading
/// it until the close keeps the kernel from answering unread bytes with a reset that could
/// destroy the 503 before the client reads it.
final class ServiceBusyResponder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The whole response, built once.
    static let response: [UInt8] = {
        let answer = ServiceResponse.error(.serverBusy, "The service port has as many connections as it takes; try again later.")
        var text = "HTTP/1.1 503 Service Unavailable\r\n"
        for (name, value) in answer.headers.sorted(by: { $0.key < $1.key }) { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(answer.body.count)\r\nConnection: close\r\n\r\n"
        return Array(text.utf8) + answer.body
    }()

    /// The longest a refused connection stays open after its 503.
    static let linger = TimeAmount.seconds(2)

    private var answered = false

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { answer(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        answer(context: context)
        context.fireChannelActive()
    }

    /// Whatever the client sends is dropped unread.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func answer(context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        let channel = context.channel
        let bytes = channel.allocator.buffer(bytes: Self.response)
        channel.writeAndFlush(bytes).whenComplete { _ in
            channel.close(mode: .output, promise: nil)
        }
        channel.eventLoop.scheduleTask(in: Self.linger) { channel.close(promise: nil) }
    }

}
