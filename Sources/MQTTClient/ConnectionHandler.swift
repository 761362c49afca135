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
/// `OSError` on MicroPython), not a connection closed before CONNACK. Over WebSockets it counts
/// as open once the HTTP upgrade is done: the handler there until then only reports a failed
/// connect, and the one added behind the frames opens it.
final class ConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = MQTTPacket

    /// When the connection counts as open.
    enum Opening {
        /// When the socket connects (plain TCP).
        case whenActive
        /// When the TLS handshake completes.
        case afterHandshake
        /// Never by this handler: it is replaced once the WebSocket upgrade is done.
        case byWebSocketUpgrade
        /// When the handler is added (behind the frames, after the WebSocket upgrade).
        case whenAdded
    }

    private let driver: MQTTClientDriver
    private let connection: UInt64
    private let opening: Opening
    private var isOpen = false
    private var handshakeError: (any Error)?

    init(driver: MQTTClientDriver, connection: UInt64, opening: Opening) {
        self.driver = driver
        self.connection = connection
        self.opening = opening
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if opening == .whenAdded, context.channel.isActive { open(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if opening == .whenActive { open(context) }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if opening == .afterHandshake, !isOpen, case .handshakeCompleted? = event as? TLSUserEvent { open(context) }
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
            let reason = handshakeError.map { TransportErrorText.describe($0) }
                ?? (opening == .byWebSocketUpgrade ? "the server closed the connection before the WebSocket upgrade" : "the server closed the connection during the TLS handshake")
            driver.transportFailed(reason: reason, connection: connection)
        }
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension ConnectionHandler: Sendable {}
