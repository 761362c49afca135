import MQTTCore
import NIOCore

/// What a device client's driver (the simulated device's, the generic client's) hears from
/// its connection, each call tagged with the connection it belongs to, so a late event of an
/// old connection can be told apart.
protocol ClientTransportDriver: AnyObject, SendableMetatype {
    func transportConnected(_ channel: any Channel, connection: UInt64)
    func received(_ packet: MQTTPacket, connection: UInt64)
    func transportError(_ error: any Error, connection: UInt64)
    func transportClosed(connection: UInt64)
    /// The connection could not be opened (TLS setup or the connect itself failed).
    func transportFailed(reason: String, connection: UInt64)
}

/// The last handler of a device client's pipeline: passes channel events to the driver,
/// tagged with the connection they belong to. It decides nothing itself.
final class ClientConnectionHandler<Driver: ClientTransportDriver>: ChannelInboundHandler {
    typealias InboundIn = MQTTPacket

    private let driver: Driver
    private let connection: UInt64

    init(driver: Driver, connection: UInt64) {
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
extension ClientConnectionHandler: Sendable {}
