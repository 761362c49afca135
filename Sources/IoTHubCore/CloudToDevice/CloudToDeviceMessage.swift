import NIOCore

/// A cloud-to-device message: what the cloud side sends, and what the hub queues and delivers.
/// The one value for it, whoever sends it: a scenario's `send:` step, `harness send` and the
/// azure:// target (through the service REST API), the simulated hub's service API and queue,
/// and the broker target's cloud connection. Its parts are validated when it is made (the time
/// to live, the acknowledgement), so whoever receives one need not check again.
public struct CloudToDeviceMessage: Sendable, Hashable {
    /// The body.
    public var payload: ByteBuffer
    /// Application properties, in order; delivered after the system properties.
    public var properties: PropertyBag
    /// `$.mid` (`iothub-messageid`); the sender or the hub assigns one when `nil`.
    public var messageID: String?
    /// `$.cid` (`iothub-correlationid`).
    public var correlationID: String?
    /// `$.uid` (`iothub-userid`).
    public var userID: String?
    /// `$.ct` (`iothub-contenttype`), for example `application/json`.
    public var contentType: String?
    /// `$.ce` (`iothub-contentencoding`), for example `utf-8`.
    public var contentEncoding: String?
    /// `iothub-ack`: the feedback the sender asks for.
    public var acknowledgement: Acknowledgement?
    /// How long the hub keeps the message for delivery (`iothub-expiry`); the hub's default
    /// (1 hour) when `nil`.
    public var timeToLive: TimeToLive?
    /// An absolute expiry (`ExpiryTimeUtc`, shown to the device as `$.exp`); it replaces the
    /// time to live when set.
    public var absoluteExpiry: HubTime?

    public init(
        payload: ByteBuffer,
        properties: PropertyBag = PropertyBag(),
        messageID: String? = nil,
        correlationID: String? = nil,
        timeToLive: TimeToLive? = nil,
        acknowledgement: Acknowledgement? = nil,
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

    /// The property bag of the topic the message is delivered on (IoT Hub's order): `$.mid`,
    /// `$.to`, the optional system properties `$.cid`, `$.uid`, `$.ct`, `$.ce`, `$.exp`,
    /// `iothub-ack`, then the application properties.
    /// - Parameter messageID: the id the message goes out with (``messageID``, or the one the
    ///   sender or hub assigned).
    public func deviceboundProperties(to deviceID: DeviceID, messageID: String) -> PropertyBag {
        var bag = PropertyBag()
        bag.append("$.mid", messageID)
        bag.append("$.to", IoTHubTopics.deviceboundAddress(deviceID))
        if let correlationID { bag.append("$.cid", correlationID) }
        if let userID { bag.append("$.uid", userID) }
        if let contentType { bag.append("$.ct", contentType) }
        if let contentEncoding { bag.append("$.ce", contentEncoding) }
        if let absoluteExpiry { bag.append("$.exp", absoluteExpiry.iso8601) }
        if let acknowledgement { bag.append("iothub-ack", acknowledgement.rawValue) }
        bag.properties += properties.properties
        return bag
    }

    /// The topic the message is delivered on: `devices/{id}/messages/devicebound/{bag}`.
    public func deviceboundTopic(to deviceID: DeviceID, messageID: String) -> String {
        IoTHubTopic.devicebound(deviceID, properties: deviceboundProperties(to: deviceID, messageID: messageID)).name
    }
}
