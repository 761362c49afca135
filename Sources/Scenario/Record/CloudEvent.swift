import IoTHubCore
import MQTTCore
import NIOCore

/// Something the cloud side saw or did, in the runner's own words: what the simulated hub
/// reports, what the harness's cloud connection to a broker sees, what a real hub answered.
/// Back ends translate into it; expectations and reports read only this.
public enum CloudEvent: Sendable, Hashable {
    /// A device connection was accepted (CONNACK 0). `connection` identifies the hub's side of
    /// it when the hub reports one.
    case connected(DeviceID, connection: UInt64?, cleanSession: Bool, sessionPresent: Bool, keepAlive: UInt16)
    /// A CONNECT was refused with `code`.
    case refused(clientID: String, connection: UInt64?, code: ConnectReturnCode, reason: String)
    /// A connection ended; `device` is `nil` when it never authenticated. `kind` is `nil` when
    /// the hub itself stopped (the end of a run); `detail` says why in the hub's words.
    case disconnected(DeviceID?, connection: UInt64?, kind: DisconnectKind?, detail: String)
    /// A subscription was granted.
    case subscribed(DeviceID, filter: TopicFilter, grantedQoS: MQTTQoS)
    /// A subscription was removed.
    case unsubscribed(DeviceID, filter: TopicFilter)
    /// A C2D message entered the device's queue.
    case messageQueued(DeviceID, messageID: String, queueDepth: Int)
    /// A plain broker acknowledged a C2D message the harness published for the device (it has
    /// no queue to report).
    case messageAccepted(DeviceID, messageID: String)
    /// A C2D message was sent to the device.
    case messageDelivered(DeviceID, messageID: String, qos: MQTTQoS, duplicate: Bool)
    /// A C2D message left the queue, acknowledged.
    case messageCompleted(DeviceID, messageID: String)
    /// A C2D message was dropped: expired or delivered too often.
    case messageDeadLettered(DeviceID, messageID: String, reason: String)
    /// A C2D message was refused when it was sent.
    case messageRefused(DeviceID, reason: String)
    /// Device-to-cloud telemetry arrived.
    case telemetry(DeviceID, properties: PropertyBag, payload: ByteBuffer)
    /// The hub's clock jumped forward.
    case clockAdvanced(by: Duration)
    /// The Device Provisioning Service registered (or refused) a device.
    case provisioning(ProvisioningActivity)
    /// Other activity worth a line in the reports (twins, direct methods): `name` is its type
    /// in `trace.jsonl`.
    case activity(DeviceID?, name: String, text: String)

    /// The device the event concerns, when there is one.
    public var device: DeviceID? {
        switch self {
        case .connected(let id, _, _, _, _), .subscribed(let id, _, _), .unsubscribed(let id, _), .messageQueued(let id, _, _),
            .messageDelivered(let id, _, _, _), .messageCompleted(let id, _), .messageAccepted(let id, _), .messageDeadLettered(let id, _, _), .messageRefused(let id, _),
            .telemetry(let id, _, _):
            id
        case .disconnected(let id, _, _, _), .activity(let id, _, _): id
        case .refused(let clientID, _, _, _): try? DeviceID(clientID)
        case .clockAdvanced: nil
        case .provisioning(let activity): activity.device
        }
    }

    /// The event's type in `trace.jsonl`.
    public var name: String {
        switch self {
        case .connected: "connected"
        case .refused: "connection_refused"
        case .disconnected: "disconnected"
        case .subscribed: "subscribed"
        case .unsubscribed: "unsubscribed"
        case .messageQueued: "c2d_enqueued"
        case .messageAccepted: "c2d_accepted"
        case .messageDelivered: "c2d_delivered"
        case .messageCompleted: "c2d_completed"
        case .messageDeadLettered: "c2d_dead_lettered"
        case .messageRefused: "c2d_rejected"
        case .telemetry: "telemetry"
        case .clockAdvanced: "clock_advanced"
        case .activity(_, let name, _): name
        case .provisioning: "provisioning"
        }
    }
}
