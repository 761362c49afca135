import MQTTCore
import NIOCore
import NIOSSL
import NIOTLS

/// The last handler of a client's pipeline: passes channel events to the driver, tagged with
/// the connection they belong to, so a late event of an old connection can be told apart. It
/// decides nothing itself.
///
/// Over TLS the connection counts as open when its handshake completes, as a socket that
/// `ssl.wrap_socket` returned: a handshake the server breaks off is a failed connect (an
/// `OSError` on MicroPython), not a connection closed before CONNACK.
final class ConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = MQTTPacket

    private let driver: MQTTClientDriver
    private let connection: UInt64
    private let waitsForHandshake: Bool
    private var isOpen = false
    private var handshakeError: (any Error)?

    init(driver: MQTTClientDriver, connection: UInt64, waitsForHandshake: Bool) {
        self.driver = driver
        self.connection = connection
        self.waitsForHandshake = waitsForHandshake
    }

    func channelActive(context: ChannelHandlerContext) {
        if !waitsForHandshake { open(context) }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if waitsForHandshake, !isOpen, case .handshakeCompleted? = event as? TLSUserEvent { open(context) }
        context.fireUserInboundEventTriggered(event)
    }

    private func open(_ context: ChannelHandlerContext) {
        isOpen = true
        driver.transportConnected(context.channel, connection: connection)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        driver.received(unwrapInboundIn(data), connection: connection)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        driver.readComplete(connection: connection)
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if isOpen {
            driver.transportError(error, connection: connection)
        } else {
            handshakeError = error
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if isOpen {
            driver.transportClosed(connection: connection)
        } else {
            let reason = handshakeError.map { TransportErrorText.describe($0) } ?? "the server closed the connection during the TLS handshake"
            driver.transportFailed(reason: reason, connection: connection)
        }
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension ConnectionHandler: Sendable {}
