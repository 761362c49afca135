import MQTTCore
import NIOCore

/// The last handler of a hub connection's pipeline: passes channel events to the ``HubCore``.
/// It decides nothing itself.
final class HubConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = MQTTPacket

    private let core: HubCore
    private let connection: ConnectionID

    init(core: HubCore, connection: ConnectionID) {
        self.core = core
        self.connection = connection
    }

    func channelActive(context: ChannelHandlerContext) {
        core.opened(connection, channel: context.channel)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        core.received(unwrapInboundIn(data), on: connection)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? MQTTDecodingError {
            core.malformed(error, on: connection)
        } else {
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        core.closed(connection)
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension HubConnectionHandler: Sendable {}
