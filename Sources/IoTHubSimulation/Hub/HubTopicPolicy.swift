import IoTHubCore
import MQTTCore

/// Which topics a device may subscribe to and publish on: IoT Hub is not a general broker and
/// accepts only its documented topic names and filters.
public enum HubTopicPolicy {
    /// What a subscription filter means to the hub.
    public enum Subscription: Sendable, Hashable {
        /// `devices/{id}/messages/devicebound/#` (or a bare `#`, which the real hub maps to it).
        case cloudToDevice
        /// `$iothub/twin/res/#`.
        case twinResponses
        /// `$iothub/twin/PATCH/properties/desired/#`.
        case twinDesiredPatches
        /// `$iothub/methods/POST/#`.
        case directMethods
    }

    /// What a device's publish topic means to the hub.
    public enum Publication: Sendable, Hashable {
        /// `devices/{id}/messages/events/{property bag}`.
        case telemetry(PropertyBag)
    }

    /// Classifies a subscription filter, or `nil` when the hub does not allow it.
    public static func classify(_ filter: TopicFilter, for deviceID: DeviceID) -> Subscription? {
        switch filter.string {
        case "#", IoTHubTopics.deviceboundFilter(deviceID): .cloudToDevice
        case "$iothub/twin/res/#": .twinResponses
        case "$iothub/twin/PATCH/properties/desired/#": .twinDesiredPatches
        case "$iothub/methods/POST/#": .directMethods
        default: nil
        }
    }

    /// Classifies a publish topic, or `nil` when the hub does not allow it (including a
    /// malformed property bag).
    public static func classify(_ topic: TopicName, for deviceID: DeviceID) -> Publication? {
        let prefix = IoTHubTopics.telemetryPrefix(deviceID)
        let text = topic.string
        if text == String(prefix.dropLast()) { return .telemetry(PropertyBag()) }
        guard text.hasPrefix(prefix) else { return nil }
        guard let bag = try? PropertyBag(parsing: String(text.dropFirst(prefix.count))) else { return nil }
        return .telemetry(bag)
    }
}
