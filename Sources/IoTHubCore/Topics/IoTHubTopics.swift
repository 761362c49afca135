/// The MQTT topics and filters IoT Hub defines for a device.
public enum IoTHubTopics {
    /// `devices/{id}/messages/devicebound/`: where cloud-to-device messages arrive, followed by
    /// their property bag.
    public static func deviceboundPrefix(_ deviceID: DeviceID) -> String {
        "devices/\(deviceID.string)/messages/devicebound/"
    }

    /// `devices/{id}/messages/devicebound/#`: the filter a device subscribes to for C2D.
    public static func deviceboundFilter(_ deviceID: DeviceID) -> String {
        deviceboundPrefix(deviceID) + "#"
    }

    /// The topic a C2D message is delivered on: the prefix and the encoded property bag.
    public static func deviceboundTopic(_ deviceID: DeviceID, properties: PropertyBag) -> String {
        deviceboundPrefix(deviceID) + properties.encoded
    }

    /// `devices/{id}/messages/events/`: the telemetry (D2C) topic prefix.
    public static func telemetryPrefix(_ deviceID: DeviceID) -> String {
        "devices/\(deviceID.string)/messages/events/"
    }

    /// The property bag a C2D delivery topic carries: `$.mid`, `$.to`, the optional system
    /// properties (`$.cid`, `$.uid`, `$.ct`, `$.ce`, `$.exp`, `iothub-ack`) in that order,
    /// then the application properties.
    public static func deviceboundProperties(
        _ deviceID: DeviceID,
        messageID: String,
        correlationID: String? = nil,
        userID: String? = nil,
        contentType: String? = nil,
        contentEncoding: String? = nil,
        absoluteExpiry: String? = nil,
        acknowledgement: String? = nil,
        application: PropertyBag = PropertyBag()
    ) -> PropertyBag {
        var bag = PropertyBag()
        bag.append("$.mid", messageID)
        bag.append("$.to", deviceboundAddress(deviceID))
        if let correlationID { bag.append("$.cid", correlationID) }
        if let userID { bag.append("$.uid", userID) }
        if let contentType { bag.append("$.ct", contentType) }
        if let contentEncoding { bag.append("$.ce", contentEncoding) }
        if let absoluteExpiry { bag.append("$.exp", absoluteExpiry) }
        if let acknowledgement { bag.append("iothub-ack", acknowledgement) }
        bag.properties += application.properties
        return bag
    }

    /// The value of the `$.to` system property on C2D messages: `/devices/{id}/messages/devicebound`.
    public static func deviceboundAddress(_ deviceID: DeviceID) -> String {
        "/devices/\(deviceID.string)/messages/devicebound"
    }
}
