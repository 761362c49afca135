import IoTHubCore
import MQTTCore

/// What the hub keeps per device: subscriptions (when the session persists), the C2D queue
/// (always), and the live connection if any.
struct DeviceSession: Sendable {
    var subscriptions: [(filter: TopicFilter, kind: HubTopicPolicy.Subscription, qos: MQTTQoS)] = []
    var queue: [QueuedMessage] = []
    /// A clean-session-0 connection has happened, so the session survives disconnects.
    var isPersistent = false
    var connection: ConnectionID?
    /// The `se` of the token the device last connected with (Unix seconds).
    var lastTokenExpiry: Int64?
    private var lastPacketID: UInt16 = 0

    /// The granted QoS of the C2D subscription, if the device holds one.
    var cloudToDeviceQoS: MQTTQoS? {
        subscriptions.first { $0.kind == .cloudToDevice }?.qos
    }

    /// The next packet identifier not used by an unacknowledged message.
    mutating func nextPacketID() -> UInt16 {
        repeat {
            lastPacketID = lastPacketID == .max ? 1 : lastPacketID + 1
        } while queue.contains(where: { $0.state == .invisible(packetID: lastPacketID) })
        return lastPacketID
    }

    /// Returns locked messages to the queue (after a disconnect) so they are redelivered.
    mutating func unlockAll() {
        for index in queue.indices where queue[index].state != .enqueued {
            queue[index].state = .enqueued
        }
    }
}

/// Identifies one network connection to the hub, unique for the hub's lifetime.
public typealias ConnectionID = UInt64
