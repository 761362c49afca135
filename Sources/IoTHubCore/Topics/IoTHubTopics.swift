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

    /// The value of the `$.to` system property on C2D messages: `/devices/{id}/messages/devicebound`.
    public static func deviceboundAddress(_ deviceID: DeviceID) -> String {
        "/devices/\(deviceID.string)/messages/devicebound"
    }
}
