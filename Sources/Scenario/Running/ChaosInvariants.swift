import Devices
import IoTHubCore
import MQTTCore
import NIOCore

/// The invariants of a chaos block, decided on the run's record: pure functions of its
/// entries, so they are tested without a network.
enum ChaosInvariants {
    /// What breaks the invariants for any of `devices` in the entries since `start`: a lost
    /// message, an LED out of step with the last delivered message (only when `final`: mid-run
    /// a message may be on its way), a drop without a reconnect in time.
    static func problems(_ invariants: [ChaosInvariant], entries: [RunRecord.Entry], from start: UInt64, now: UInt64, devices: [DeviceID], final: Bool) -> [String] {
        var problems: [String] = []
        for invariant in invariants {
            switch invariant {
            case .delivered:
                for device in devices {
                    let ledger = DeliveryLedger(device: device, vantage: vantage(of: device, in: entries), sentIn: entries)
                    for entry in entries { ledger.apply(entry) }
                    if ledger.verdict(duplicatesAllowed: true) != true { problems.append("\(device): \(ledger.describe())") }
                }
            case .ledFollowsDelivered where final:
                for device in devices {
                    if let problem = ledProblem(device, entries: entries) { problems.append(problem) }
                }
            case .ledFollowsDelivered:
                break
            case .reconnectedWithin:
                if let problem = reconnectProblem([invariant], entries: entries, from: start, now: now, devices: devices) { problems.append(problem) }
            }
        }
        return problems
    }

    /// The first drop since `start` not followed by a reconnect within the allowed time (only
    /// drops that old by `now` count).
    static func reconnectProblem(_ invariants: [ChaosInvariant], entries: [RunRecord.Entry], from start: UInt64, now: UInt64, devices: [DeviceID]) -> String? {
        for invariant in invariants {
            guard case .reconnectedWithin(let allowed) = invariant else { continue }
            let limit = UInt64(allowed.nanoseconds)
            for device in devices {
                for (index, entry) in entries.enumerated() where entry.time >= start && ExpectationEvaluator.isDrop(entry, of: device) {
                    let late = entry.time &+ limit
                    let back = entries[(index + 1)...].first { later in
                        if case .cloud(.connected(device, _, _, _, _)) = later.event { return true }
                        return false
                    }
                    if let back, back.time <= late { continue }
                    guard now > late else { continue }
                    let at = ScenarioDuration.formatMilliseconds(.nanoseconds(Int64(entry.time &- start)))
                    let when = back.map { "after \(ScenarioDuration.formatMilliseconds(.nanoseconds(Int64($0.time &- entry.time))))" } ?? "not at all"
                    return "\(device) dropped at +\(at) into the chaos and reconnected \(when), not within \(ScenarioDuration.format(allowed))"
                }
            }
        }
        return nil
    }

    /// The LED's last state against the last C2D payload that reached the device.
    static func ledProblem(_ device: DeviceID, entries: [RunRecord.Entry]) -> String? {
        let vantage = vantage(of: device, in: entries)
        var lastPayload: String?
        var led: Bool?
        for entry in entries {
            if DeliveryLedger.delivered(entry, device: device, vantage: vantage) != nil,
                case .packet(let observation) = entry.event, case .publish(let publish) = observation.record.packet
            {
                lastPayload = String(buffer: publish.payload)
            }
            if case .device(device, let event) = entry.event, case .led(let isOn, _) = event { led = isOn }
        }
        guard let lastPayload else { return nil }
        let wanted = lastPayload == "on"
        guard led != wanted else { return nil }
        return "\(device): the last message delivered was \"\(ControlText.short(lastPayload))\" but the LED is \(led.map { $0 ? "on" : "off" } ?? "never written")"
    }

    /// The vantage the device's packets are recorded at (its first packet's), `.device` when
    /// none is recorded yet.
    static func vantage(of device: DeviceID, in entries: [RunRecord.Entry]) -> Vantage {
        for entry in entries {
            if case .packet(let observation) = entry.event, observation.device == device { return observation.vantage }
        }
        return .device
    }
}

/// Short, one-line text of a peer's payload for failure messages.
enum ControlText {
    static func short(_ text: String) -> String {
        text.count > 24 ? String(text.prefix(24)) + "..." : text
    }
}
