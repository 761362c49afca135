import IoTHubCore
import NIOCore

/// A cloud-to-device message as the cloud side submits it.
public struct CloudToDeviceRequest: Sendable, Hashable {
    public var payload: ByteBuffer
    /// Application properties, appended to the topic's property bag after the system ones.
    public var properties: PropertyBag
    /// `$.mid`; the hub assigns one when `nil`.
    public var messageID: String?
    /// `$.cid`.
    public var correlationID: String?
    /// Time to live; the hub default (1 hour) when `nil`.
    public var timeToLive: Duration?
    /// `iothub-ack`: `none`, `positive`, `negative` or `full`.
    public var acknowledgement: String?
    /// `$.uid`.
    public var userID: String?
    /// `$.ct`, for example `application/json`.
    public var contentType: String?
    /// `$.ce`, for example `utf-8`.
    public var contentEncoding: String?
    /// An absolute expiry (`ExpiryTimeUtc`, shown to the device as `$.exp`); it replaces the
    /// time to live when set.
    public var absoluteExpiry: HubTime?

    public init(
        payload: ByteBuffer,
        properties: PropertyBag = PropertyBag(),
        messageID: String? = nil,
        correlationID: String? = nil,
        timeToLive: Duration? = nil,
        acknowledgement: String? = nil,
        userID: String? = nil,
        contentType: String? = nil,
        contentEncoding: String? = nil,
        absoluteExpiry: HubTime? = nil
    ) {
        self.payload = payload
        self.properties = properties
        self.messageID = messageID
        self.correlationID = correlationID
        self.timeToLive = timeToLive
        self.acknowledgement = acknowledgement
        self.userID = userID
        self.contentType = contentType
        self.contentEncoding = contentEncoding
        self.absoluteExpiry = absoluteExpiry
    }
}

/// A C2D message in a device's queue.
public struct QueuedMessage: Sendable, Hashable {
    /// Where the message is in its life cycle (IoT Hub docs: Enqueued, Invisible, Completed).
    public enum State: Sendable, Hashable {
        /// Waiting for delivery.
        case enqueued
        /// Sent at QoS 1 and locked until the device's PUBACK (`packetID`).
        case invisible(packetID: UInt16)
    }

    public var messageID: String
    public var payload: ByteBuffer
    public var properties: PropertyBag
    public var correlationID: String?
    public var acknowledgement: String?
    public var userID: String?
    public var contentType: String?
    public var contentEncoding: String?
    /// Set when the sender gave an absolute expiry; shown as `$.exp`.
    public var absoluteExpiry: HubTime?
    public var enqueuedAt: HubTime
    public var expiresAt: HubTime
    public var deliveryCount: Int
    public var state: State

    /// The property bag the delivery topic carries: `$.mid`, `$.to`, the optional system
    /// properties (`$.cid`, `$.uid`, `$.ct`, `$.ce`, `$.exp`, `iothub-ack`), then the
    /// application properties.
    public func topicProperties(for deviceID: DeviceID) -> PropertyBag {
        IoTHubTopics.deviceboundProperties(
            deviceID,
            messageID: messageID,
            correlationID: correlationID,
            userID: userID,
            contentType: contentType,
            contentEncoding: contentEncoding,
            absoluteExpiry: absoluteExpiry?.iso8601,
            acknowledgement: acknowledgement,
            application: properties
        )
    }
}

/// Why the hub refused to enqueue a C2D message.
public enum CloudToDeviceError: Error, Sendable, Hashable, CustomStringConvertible {
    case deviceNotFound(DeviceID)
    /// The device already has the maximum number of messages queued.
    case queueFull(DeviceID, limit: Int)
    case messageTooLarge(size: Int, limit: Int)
    case invalidTimeToLive(Duration)

    /// The service API's `iothub-errorcode` for this refusal, as the real hub answers.
    public var errorCode: String {
        switch self {
        case .deviceNotFound: "DeviceNotFound"
        case .queueFull: "DeviceMaximumQueueDepthExceeded"
        case .messageTooLarge: "MessageTooLarge"
        case .invalidTimeToLive: "ArgumentInvalid"
        }
    }

    /// The description, naming the error code once.
    public var descriptionWithCode: String {
        description.contains(errorCode) ? description : "\(errorCode): \(description)"
    }

    public var description: String {
        switch self {
        case .deviceNotFound(let id): "device '\(id)' is not registered"
        case .queueFull(let id, let limit): "device '\(id)' already has \(limit) messages queued (DeviceMaximumQueueDepthExceeded)"
        case .messageTooLarge(let size, let limit): "message of \(size) bytes exceeds \(limit) bytes (MessageTooLarge)"
        case .invalidTimeToLive(let ttl): "time to live \(ttl) is outside 1 minute to 2 days"
        }
    }
}
