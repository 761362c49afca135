import MQTTCore
import NIOCore

/// The last handler of a client's pipeline: passes channel events to the driver, tagged with
/// the connection they belong to, so a late event of an old connection can be told apart. It
/// decides nothing itself.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = MQTTPacket

    private let driver: MQTTClientDriver
    private let connection: UInt64

    init(driver: MQTTClientDriver, connection: UInt64) {
        self.driver = driver
        self.connection = connection
    }

    func channelActive(context: ChannelHandlerContext) {
        driver.transportConnected(context.channel, connection: connection)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        driver.received(unwrapInboundIn(data), connection: connection)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        driver.readComplete(connection: connection)
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        driver.transportError(error, connection: connection)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        driver.transportClosed(connection: connection)
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension ConnectionHandler: Sendable {}
