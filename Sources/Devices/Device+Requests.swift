import MQTTCore
import NIOCore

/// The request-based operations for device kinds that speak MQTT 3.1.1 only: a request
/// without MQTT 5.0 content runs the device's 3.1.1 operation; one with 5.0 content is
/// refused with ``DeviceError/unsupported(_:reason:)`` saying so. The generic client
/// (``GenericClient``) implements them itself, in either version.
extension Device {
    /// Subscribes to each filter in order with the device's 3.1.1 subscribe (one SUBSCRIBE
    /// per filter); the first outcome that is not an answer ends it.
    public func subscribe(_ request: SubscribeRequest) async throws -> OperationOutcome {
        if request.needsMQTT5 { throw refusal("the subscribe carries MQTT 5.0 properties or subscription options") }
        var outcome = OperationOutcome.answered
        for subscription in request.subscriptions {
            outcome = try await subscribe(to: subscription.filter, qos: subscription.qos)
            guard outcome == .answered else { return outcome }
        }
        return outcome
    }

    /// Unsubscribes from each filter in order with the device's 3.1.1 unsubscribe.
    public func unsubscribe(_ request: UnsubscribeRequest) async throws -> OperationOutcome {
        if request.needsMQTT5 { throw refusal("the unsubscribe carries MQTT 5.0 properties") }
        var outcome = OperationOutcome.answered
        for filter in request.filters {
            outcome = try await unsubscribe(from: filter)
            guard outcome == .answered else { return outcome }
        }
        return outcome
    }

    /// Publishes with the device's 3.1.1 publish, whose payload is text.
    public func publish(_ request: PublishRequest) async throws -> OperationOutcome {
        if request.needsMQTT5 { throw refusal("the publish carries MQTT 5.0 properties") }
        guard let text = String(validating: request.payload.readableBytesView, as: UTF8.self) else {
            throw DeviceError.unsupported(id, reason: "its publish takes a text payload, and this one is not UTF-8")
        }
        return try await publish(request.topic, payload: text, qos: request.qos, retain: request.retain)
    }

    /// Disconnects with the device's 3.1.1 disconnect.
    public func disconnect(_ request: DisconnectRequest) async throws {
        if request.needsMQTT5 { throw refusal("the disconnect carries an MQTT 5.0 reason code or properties") }
        try await disconnect()
    }

    private func refusal(_ what: String) -> DeviceError {
        DeviceError.unsupported(id, reason: "it speaks MQTT 3.1.1 only, and \(what)")
    }
}
