import IoTHubCore
import MQTTCore
import NIOCore

/// Something the simulated hub did or saw, for the runner's expectations and the reports.
public enum HubEvent: Sendable, Hashable {
    /// A device connection was accepted with CONNACK 0.
    case connected(DeviceID, connection: ConnectionID, cleanSession: Bool, sessionPresent: Bool, keepAlive: UInt16)
    /// A CONNECT was refused with `code`.
    case connectionRefused(clientID: String, connection: ConnectionID, code: ConnectReturnCode, reason: String)
    /// A connection ended. `device` is nil when it never authenticated.
    case disconnected(DeviceID?, connection: ConnectionID, reason: DisconnectReason)
    /// A subscription was granted.
    case subscribed(DeviceID, filter: TopicFilter, grantedQoS: MQTTQoS)
    /// A subscription was removed.
    case unsubscribed(DeviceID, filter: TopicFilter)
    /// A C2D message entered the device's queue.
    case cloudToDeviceEnqueued(DeviceID, messageID: String, queueDepth: Int)
    /// A C2D message was sent to the device.
    case cloudToDeviceDelivered(DeviceID, messageID: String, qos: MQTTQoS, duplicate: Bool)
    /// A C2D message left the queue: acknowledged (PUBACK, or sent at QoS 0).
    case cloudToDeviceCompleted(DeviceID, messageID: String)
    /// A C2D message was dropped: expired or delivered too often.
    case cloudToDeviceDeadLettered(DeviceID, messageID: String, reason: String)
    /// A C2D message was refused at submission.
    case cloudToDeviceRejected(DeviceID, reason: String)
    /// Device-to-cloud telemetry arrived (or a will, with `iothub-MessageType=Will`).
    case telemetry(DeviceID, properties: PropertyBag, payload: ByteBuffer)
    /// The hub's clock jumped forward.
    case clockAdvanced(by: Duration)
}

/// Why the hub ended a connection.
public enum DisconnectReason: Sendable, Hashable, CustomStringConvertible {
    /// The device sent DISCONNECT.
    case clientDisconnected
    /// The network connection closed without DISCONNECT.
    case connectionLost
    /// The device's SAS token expired while connected (IoT Hub error 401003).
    case tokenExpired
    /// No packet within the keep-alive timeout.
    case keepAliveTimeout(Duration)
    /// A newer connection for the same device took over (400027).
    case replacedByNewConnection
    /// The device broke a rule: `detail` names it (MQTT statement or IoT Hub limit).
    case protocolViolation(String)
    /// CONNECT was refused.
    case refused(ConnectReturnCode)
    /// The device's credentials were revoked.
    case credentialsRevoked
    /// The hub stopped.
    case hubStopped

    public var description: String {
        switch self {
        case .clientDisconnected: "client sent DISCONNECT"
        case .connectionLost: "connection lost"
        case .tokenExpired: "SAS token expired"
        case .keepAliveTimeout(let timeout): "keep-alive timeout after \(timeout)"
        case .replacedByNewConnection: "replaced by a newer connection for the same device"
        case .protocolViolation(let detail): "protocol violation: \(detail)"
        case .refused(let code): "CONNECT refused with \(code)"
        case .credentialsRevoked: "credentials revoked"
        case .hubStopped: "hub stopped"
        }
    }
}
