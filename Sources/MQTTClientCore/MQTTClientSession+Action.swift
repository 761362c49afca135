import MQTTCore
import NIOCore

extension MQTTClientSession {
    /// What the driver must do, in order.
    public enum Action: Sendable, Hashable {
        /// Open the network connection (TCP, or TLS when the endpoint says so).
        case openTransport
        /// Encode and write this packet.
        case send(MQTTPacket)
        /// Write these bytes as they are, around the codec.
        case sendBytes(ByteBuffer)
        case closeTransport
        /// Hand this application message to the client's application (a device's firmware
        /// callback, the cloud's observer).
        case deliver(PublishPacket)
        /// Tell the client's observer.
        case report(Event)
        /// Finish the operation with this identifier.
        case complete(OperationID, Outcome)
        /// Ask the token source for a token, then call
        /// ``MQTTClientSession/tokenReceived(_:now:)`` or
        /// ``MQTTClientSession/tokenFailed(reason:now:)``.
        case fetchToken
        /// Call ``MQTTClientSession/tick(now:)`` at this time (nanoseconds on the session's
        /// clock). Replaces any earlier request.
        case scheduleTick(at: Int64)
    }

    /// Something that happened to the client, as its observer hears it.
    public enum Event: Sendable, Hashable {
        /// The network connection is up (TCP, and TLS where used).
        case transportConnected
        /// The network connection could not be opened.
        case transportFailed(reason: String)
        case connAckReceived(ConnAckPacket)
        case subAckReceived(SubAckPacket)
        /// Raw bytes were written around the codec.
        case bytesSent(ByteBuffer)
        /// The network connection closed.
        case disconnected(reason: String)
        /// The device's program stopped with this error, as firmware does on an exception.
        case stopped(reason: String)
        /// The device was power-cycled; its program starts again.
        case restarted
        /// The client starts reconnecting on its own after a drop (`attempt` counts from 1).
        case reconnecting(attempt: Int)
        /// The client renews its token by disconnecting and connecting again.
        case renewingToken
        /// The token source gave no token.
        case tokenFailed(reason: String)
        /// The broker broke the protocol: what it did and the rule it broke.
        case protocolViolation(String)
        /// MQTT 5.0: the broker sent DISCONNECT (its reason code, reason string and server
        /// reference); the connection closes after it (``describe(_:)`` puts it in words).
        case serverDisconnected(DisconnectPacket)
        /// MQTT 5.0: the broker asked for the next step of enhanced authentication (AUTH
        /// Continue authentication, with its authentication data).
        case authenticationChallenge(AuthPacket)
    }
}
