/// The MQTT topic prefixes and subscription filters IoT Hub defines for a device. Whole topic
/// names are read and written by ``IoTHubTopic``.
public enum IoTHubTopics {
    /// `$iothub/`: the start of the twin and direct method topics.
    public static let reservedPrefix = "$iothub/"

    /// `devices/{id}/messages/devicebound/`: where cloud-to-device messages arrive, followed by
    /// their property bag.
    public static func deviceboundPrefix(_ deviceID: DeviceID) -> String {
        "devices/\(deviceID.string)/messages/devicebound/"
    }

    /// `devices/{id}/messages/devicebound/#`: the filter a device subscribes to for C2D.
    public static func deviceboundFilter(_ deviceID: DeviceID) -> String {
        deviceboundPrefix(deviceID) + "#"
    }

    /// `devices/{id}/messages/events/`: the telemetry (D2C) topic prefix.
    public static func telemetryPrefix(_ deviceID: DeviceID) -> String {
        "devices/\(deviceID.string)/messages/events/"
    }

    /// `devices/+/messages/events/#`: every device's telemetry (for a cloud side on a plain
    /// broker; IoT Hub itself lets no client subscribe to it).
    public static let allTelemetryFilter = "devices/+/messages/events/#"

    /// `$iothub/twin/res/#`: the answers to a device's twin requests.
    public static let twinResponsesFilter = "$iothub/twin/res/#"

    /// `$iothub/twin/PATCH/properties/desired/#`: desired property patches.
    public static let twinDesiredPatchesFilter = "$iothub/twin/PATCH/properties/desired/#"

    /// `$iothub/methods/POST/#`: direct method calls.
    public static let methodRequestsFilter = "$iothub/methods/POST/#"

    /// The value of the `$.to` system property on C2D messages: `/devices/{id}/messages/devicebound`.
    public static func deviceboundAddress(_ deviceID: DeviceID) -> String {
        "/devices/\(deviceID.string)/messages/devicebound"
    }
}
