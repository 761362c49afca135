import IoTHubCore

/// A C2D message in a device's queue: the message as the cloud sent it, and where it is in
/// its life cycle.
public struct QueuedMessage: Sendable, Hashable {
    /// Where the message is in its life cycle (IoT Hub docs: Enqueued, Invisible, Completed).
    public enum State: Sendable, Hashable {
        /// Waiting for delivery.
        case enqueued
        /// Sent at QoS 1 and locked until the device's PUBACK (`packetID`).
        case invisible(packetID: UInt16)
    }

    /// The message as the cloud sent it.
    public var message: CloudToDeviceMessage
    /// The id it is delivered with: the sender's, or the one the hub assigned.
    public var messageID: String
    public var enqueuedAt: HubTime
    public var expiresAt: HubTime
    public var deliveryCount: Int
    public var state: State
}
