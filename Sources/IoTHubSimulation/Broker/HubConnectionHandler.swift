import IoTHubSimulationCore
import MQTTCore
import MQTTWebSocket
import NIOCore
import NIOTLS

/// The last handler of a hub connection's pipeline: passes channel events to the ``HubDriver``
/// on the hub's loop. It decides nothing itself.
final class HubConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = MQTTPacket

    private let driver: NIOLoopBoundBox<HubDriver>
    private let hubLoop: any EventLoop
    private let connection: ConnectionID
    /// The connection's TLS set-up, on a TLS listener.
    private let tls: HubTLSAcceptor?
    /// Whether this handler tells the hub the connection opened. On a WebSocket listener the
    /// handler is replaced at the upgrade, and only the first one (there from the start) does.
    private let announcesOpening: Bool

    init(driver: NIOLoopBoundBox<HubDriver>, hubLoop: any EventLoop, connection: ConnectionID, tls: HubTLSAcceptor? = nil, announcesOpening: Bool = true) {
        self.driver = driver
        self.hubLoop = hubLoop
        self.connection = connection
        self.tls = tls
        self.announcesOpening = announcesOpening
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { tls?.handshakeCompleted = true }
        if let refusal = event as? HubWebSocketRefused {
            // The gate answers with the HTTP status and closes once the answer is out.
            let connection = self.connection
            onHub { $0.webSocketFailed(connection, reason: refusal.reason) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func onHub(_ body: @escaping @Sendable (HubDriver) -> Void) {
        let driver = self.driver
        if hubLoop.inEventLoop { body(driver.value) } else { hubLoop.execute { body(driver.value) } }
    }

    func channelActive(context: ChannelHandlerContext) {
        if announcesOpening {
            let connection = self.connection
            let channel = context.channel
            onHub { $0.opened(connection, channel: channel) }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let packet = unwrapInboundIn(data)
        // The hot path: no closure when the connection shares the hub's loop.
        guard !hubLoop.inEventLoop else {
            driver.value.received(packet, on: connection)
            return
        }
        let connection = self.connection
        onHub { $0.received(packet, on: connection) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? MQTTDecodingError {
            let connection = self.connection
            onHub { $0.malformed(error, on: connection) }
        } else if let error = error as? WebSocketTransportError {
            // The WebSocket bridge sends its close frame and closes once it is out.
            let connection = self.connection
            let reason = "\(error.reason) (close code \(error.closeCode))"
            onHub { $0.webSocketFailed(connection, reason: reason) }
        } else if let tls, !tls.handshakeCompleted {
            let connection = self.connection
            let reason = tls.refusalReason(for: error)
            onHub { $0.tlsFailed(connection, reason: reason) }
            context.close(promise: nil)
        } else {
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        let connection = self.connection
        onHub { $0.closed(connection) }
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension HubConnectionHandler: Sendable {}
