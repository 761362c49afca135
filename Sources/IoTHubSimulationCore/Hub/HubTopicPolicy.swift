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
        case IoTHubTopics.twinResponsesFilter: .twinResponses
        case IoTHubTopics.twinDesiredPatchesFilter: .twinDesiredPatches
        case IoTHubTopics.methodRequestsFilter: .directMethods
        default: nil
        }
    }

    /// Classifies a publish topic, or `nil` when the hub does not allow it: a topic that is not
    /// IoT Hub's (including a malformed property bag, or a twin or method topic without
    /// `$rid`), another device's telemetry, or a topic only the hub sends on.
    public static func classify(_ topic: TopicName, for deviceID: DeviceID) -> Publication? {
        switch try? IoTHubTopic(parsing: topic.string) {
        case .telemetry(deviceID, let properties): .telemetry(properties)
        case .twinGet(let requestID): .twinGet(requestID: requestID)
        case .twinReportedPatch(let requestID): .twinReportedPatch(requestID: requestID)
        case .methodResponse(let status, let requestID): .methodResponse(status: status, requestID: requestID)
        case .telemetry, .devicebound, .twinResponse, .twinDesiredPatch, .methodRequest, nil: nil
        }
    }
}
