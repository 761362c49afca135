import Devices
import IoTHubCore
import MQTTCore

/// What the run's record says about a device's subscriptions on its current connection (the
/// last one the broker accepted): the filters a SUBACK granted, with the QoS the device asked
/// for. Firmware subscribes by itself, often before the scenario's `subscribe` step begins; the
/// step then accepts the subscription the hub (or the tap) already saw acknowledged, even when
/// the firmware prints no line protocol of its own.
struct SubscriptionEvidence {
    /// The QoS `device` asked for `filter` in a SUBSCRIBE that was granted on its current
    /// connection, if `entries` show one.
    static func requestedQoS(of filter: TopicFilter, by device: DeviceID, in entries: [RunRecord.Entry]) -> MQTTQoS? {
        var connection: UInt64?
        var pending: [UInt16: [SubscribePacket.Subscription]] = [:]
        var granted: [TopicFilter: MQTTQoS] = [:]
        for entry in entries {
            guard case .packet(let observation) = entry.event, observation.device == device else { continue }
            let record = observation.record
            switch (observation.flow, record.packet) {
            case (.toDevice, .connack(let connack)) where connack.returnCode == .accepted:
                connection = record.connection
                pending = [:]
                granted = [:]
            case (.toHub, .subscribe(let subscribe)) where record.connection == connection:
                pending[subscribe.packetID] = subscribe.subscriptions
            case (.toDevice, .suback(let suback)) where record.connection == connection:
                let asked = pending.removeValue(forKey: suback.packetID) ?? []
                for (subscription, code) in zip(asked, suback.returnCodes) where code != .failure {
                    granted[subscription.filter] = subscription.qos
                }
            case (.toHub, .unsubscribe(let unsubscribe)) where record.connection == connection:
                for filter in unsubscribe.filters { granted[filter] = nil }
            default:
                break
            }
        }
        return granted[filter]
    }

    /// Waits until the record shows `device`'s subscription to `filter` granted on its current
    /// connection, or until `deadline` (monotonic nanoseconds) or cancellation.
    /// - Returns: `.answered` when it was asked at `qos`, a failure when at another QoS, `nil`
    ///   when the record never showed it.
    static func wait(
        for filter: TopicFilter,
        qos: MQTTQoS,
        by device: DeviceID,
        in record: RunRecord,
        until deadline: UInt64
    ) async -> OperationOutcome? {
        while !Task.isCancelled {
            let entries = record.entries()
            if let asked = requestedQoS(of: filter, by: device, in: entries) {
                if asked == qos { return .answered }
                return .connectionEnded(reason: "the firmware subscribed to \(filter) at QoS \(asked.rawValue), not \(qos.rawValue)")
            }
            let next = await record.firstMatch(from: entries.count, until: deadline) { entry in
                guard case .packet(let observation) = entry.event, observation.device == device else { return false }
                switch observation.record.packet {
                case .connack, .suback, .unsubscribe: return true
                default: return false
                }
            }
            if next == nil { return nil }
        }
        return nil
    }
}
