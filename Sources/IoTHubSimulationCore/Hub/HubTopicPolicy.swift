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
        /// `$iothub/twin/GET/?$rid={rid}`: the device asks for its twin.
        case twinGet(requestID: String)
        /// `$iothub/twin/PATCH/properties/reported/?$rid={rid}`: the device reports properties.
        case twinReportedPatch(requestID: String)
        /// `$iothub/methods/res/{status}/?$rid={rid}`: the device answers a direct method.
        case methodResponse(status: Int, requestID: String)
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

    static let twinGetPrefix = "$iothub/twin/GET/"
    static let twinReportedPrefix = "$iothub/twin/PATCH/properties/reported/"
    static let methodResponsePrefix = "$iothub/methods/res/"

    /// Classifies a publish topic, or `nil` when the hub does not allow it (including a
    /// malformed property bag or a twin or method topic without `$rid`).
    public static func classify(_ topic: TopicName, for deviceID: DeviceID) -> Publication? {
        let text = topic.string
        if text.hasPrefix("$iothub/") { return classifyIoTHubTopic(text) }
        let prefix = IoTHubTopics.telemetryPrefix(deviceID)
        if text == String(prefix.dropLast()) { return .telemetry(PropertyBag()) }
        guard text.hasPrefix(prefix) else { return nil }
        guard let bag = try? PropertyBag(parsing: String(text.dropFirst(prefix.count))) else { return nil }
        return .telemetry(bag)
    }

    private static func classifyIoTHubTopic(_ text: String) -> Publication? {
        if text.hasPrefix(twinGetPrefix) {
            return requestID(in: text.dropFirst(twinGetPrefix.count)).map { .twinGet(requestID: $0) }
        }
        if text.hasPrefix(twinReportedPrefix) {
            return requestID(in: text.dropFirst(twinReportedPrefix.count)).map { .twinReportedPatch(requestID: $0) }
        }
        if text.hasPrefix(methodResponsePrefix) {
            let rest = text.dropFirst(methodResponsePrefix.count)
            guard let slash = rest.firstIndex(of: "/"), let status = Int(rest[..<slash]) else { return nil }
            return requestID(in: rest[rest.index(after: slash)...]).map { .methodResponse(status: status, requestID: $0) }
        }
        return nil
    }

    /// The `$rid` of a `?$rid=...&...` query (the part after the topic's last `/`).
    private static func requestID(in query: Substring) -> String? {
        guard query.first == "?", let bag = try? PropertyBag(parsing: String(query.dropFirst())),
            case .some(.some(let rid)) = bag["$rid"], !rid.isEmpty
        else { return nil }
        return rid
    }
}
