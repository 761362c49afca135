import MQTTCore
import NIOCore

/// The last handler of a simulated device's pipeline: passes channel events to the device's
/// driver, tagged with the connection they belong to. It decides nothing itself.
final class ClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = MQTTPacket

    private let core: SimulatedDeviceCore
    private let connection: UInt64

    init(core: SimulatedDeviceCore, connection: UInt64) {
        self.core = core
        self.connection = connection
    }

    func channelActive(context: ChannelHandlerContext) {
        core.transportConnected(context.channel, connection: connection)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        core.received(unwrapInboundIn(data), connection: connection)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        core.transportError(error, connection: connection)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        core.transportClosed(connection: connection)
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension ClientConnectionHandler: Sendable {}
