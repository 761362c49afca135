import IoTHubCore
import MQTTCore
import NIOCore

/// Something a device did or that happened to it, as the runner observes it.
public enum DeviceEvent: Sendable, Hashable {
    /// The device opens a network connection to `host:port`.
    case connecting(host: String, port: Int)
    /// The network connection is up (TCP, and TLS where used).
    case transportConnected
    /// The network connection could not be opened.
    case transportFailed(reason: String)
    /// The device received CONNACK.
    case connAckReceived(ConnAckPacket)
    /// Raw bytes the device wrote on its connection around its codec (a scenario's
    /// `send_bytes`).
    case bytesSent(ByteBuffer)
    /// Bytes the device read from its connection, exactly as they arrived (generic clients
    /// report every read, so scenarios can expect exact bytes).
    case bytesReceived(ByteBuffer)
    /// The device received SUBACK.
    case subAckReceived(SubAckPacket)
    /// An application message reached the device's code (before its callback ran).
    case messageReceived(topic: TopicName, payload: ByteBuffer, qos: MQTTQoS)
    /// The device wrote an output pin; `pin` is the GPIO number.
    case pinWritten(pin: Int, value: Bool)
    /// The status LED was written (`isOn`), and whether that changed its state.
    case led(isOn: Bool, changed: Bool)
    /// The network connection closed.
    case disconnected(reason: String)
    /// The device's program stopped with an error, as firmware does on an exception.
    case crashed(reason: String)
    /// The device was power-cycled; its program starts again.
    case restarted
    /// One line the device's program printed (process output or serial console), with
    /// secrets masked; `@harness mqtt` tap lines are summarised (their packets go to the
    /// packet tap).
    case output(line: String)
    /// The client starts reconnecting on its own after a drop (`attempt` counts from 1).
    case reconnecting(attempt: Int)
    /// The client renews its token by disconnecting and connecting again.
    case renewingToken
    /// The device's token source gave no token.
    case tokenFailed(reason: String)
    /// The firmware reported a state with the line protocol (`@harness state connected`) or a
    /// pattern the scenario gave matched, for example `connected`.
    case stateReported(String)
    /// The peer broke the protocol, as the device saw it: what it did and the rule it broke,
    /// for example a PUBACK answering a QoS 2 PUBLISH, or a malformed packet (after which the
    /// device closes the connection).
    case protocolViolation(String)
}

/// A device event stamped on the run's monotonic clock.
public struct DeviceEventRecord: Sendable, Hashable {
    public var timestamp: UInt64
    public var deviceID: DeviceID
    public var event: DeviceEvent

    public init(timestamp: UInt64, deviceID: DeviceID, event: DeviceEvent) {
        self.timestamp = timestamp
        self.deviceID = deviceID
        self.event = event
    }
}
