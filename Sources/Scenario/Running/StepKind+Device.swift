import Foundation
import IoTHubCore
import MQTTCore

extension Step.Kind {
    /// The action with `${device}` in its topic replaced by `device` (a fleet step's topic
    /// names each member's own, such as `devices/${device}/messages/devicebound/#`).
    /// - Throws: ``SessionError`` when the filled-in topic is not a valid one.
    func filledIn(device: DeviceID) throws -> Step.Kind {
        let placeholder = "${\(Variables.stepDevice)}"
        func fill(_ text: String) -> String? {
            text.contains(placeholder) ? text.replacingOccurrences(of: placeholder, with: device.string) : nil
        }
        do {
            switch self {
            case .subscribe(let filter, let qos, let options):
                guard let text = fill(filter.string) else { return self }
                return .subscribe(try TopicFilter(text), qos: qos, options: options)
            case .unsubscribe(let filter, let properties):
                guard let text = fill(filter.string) else { return self }
                return .unsubscribe(try TopicFilter(text), properties: properties)
            case .publish(var message):
                guard let topic = message.topic, let text = fill(topic.string) else { return self }
                message.topic = try TopicName(text)
                return .publish(message)
            default:
                return self
            }
        } catch {
            throw SessionError(description: "the topic with ${device} filled in for '\(device)' is not valid: \(error)")
        }
    }
}
