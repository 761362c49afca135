import MQTTCore
import NIOCore

/// The last handler of a simulated device's pipeline: passes channel events to the device's
/// driver. It decides nothing itself.
final class ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = MQTTPacket

    private let core: SimulatedDeviceCore

    init(core: SimulatedDeviceCore) {
        self.core = core
    }

    func channelActive(context: ChannelHandlerContext) {
        core.transportConnected(context.channel)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        core.received(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        core.transportError(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        core.transportClosed(context.channel)
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension ClientConnectionHandler: Sendable {}
