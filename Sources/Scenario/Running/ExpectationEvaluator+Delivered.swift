import Devices
import IoTHubCore
import MQTTCore
import Synchronization

extension ExpectationEvaluator {
    /// `delivered: all`: every C2D message the hub (or broker) accepted for the device before
    /// this step began has reached the device by the deadline, each exactly once unless
    /// duplicates are allowed.
    func evaluateDelivered(
        duplicates: Bool,
        device: DeviceID,
        expectation: Expectation,
        cause: Cause,
        windowEnd: UInt64,
        expected: String
    ) async -> Evaluation {
        // "So far": every message accepted, and every delivery seen, up to the moment this
        // step began, whatever action came before it.
        let entries = record.entries()
        let ledger = DeliveryLedger(device: device, vantage: record.vantage(of: device), sentIn: entries)
        for entry in entries { ledger.apply(entry) }
        let startIndex = entries.count
        // `within` only: the loader refuses `for`.
        if let verdict = ledger.verdict(duplicatesAllowed: duplicates) {
            return verdict ? Evaluation(status: .passed, latency: .zero) : Evaluation(status: .failed(Failure(expected: expected, observed: ledger.describe())), latency: nil)
        }
        let match = await record.firstMatch(from: startIndex, until: windowEnd) { entry in
            ledger.apply(entry)
            return ledger.verdict(duplicatesAllowed: duplicates) != nil
        }
        guard let (_, entry) = match, entry.time <= windowEnd, ledger.verdict(duplicatesAllowed: duplicates) == true else {
            var observed = ledger.describe()
            let began = entries.last?.time ?? cause.time
            if windowEnd <= began {
                let late = ScenarioDuration.formatMilliseconds(.nanoseconds(Int64(began &- cause.time)))
                observed += " (this step began \(late) after \(cause.name), when its deadline had already passed)"
            }
            return Evaluation(status: .failed(Failure(expected: expected, observed: observed)), latency: nil)
        }
        return Evaluation(status: .passed, latency: .nanoseconds(Int64(entry.time &- cause.time)))
    }
}

/// Which of the C2D messages sent to a device reached it, and how often, replayed from the
/// record: messages the hub or broker accepted (`messageQueued`, `messageAccepted`) against
/// PUBLISH packets to the device that carry their message id (`$.mid`) at its vantage.
package final class DeliveryLedger: Sendable {
    private struct State {
        var sent: [String] = []
        var received: [String: Int] = [:]
    }

    private let device: DeviceID
    private let vantage: Vantage
    /// Counts the messages the device reported receiving instead of the PUBLISH packets to
    /// it (a fleet's members, whose packets are not recorded).
    private let countsDeviceEvents: Bool
    private let state: Mutex<State>

    /// A ledger of the messages `sent` (in order), counting what the device reports it received.
    init(device: DeviceID, sent: [String], countsDeviceEvents: Bool) {
        self.device = device
        self.vantage = .device
        self.countsDeviceEvents = countsDeviceEvents
        self.state = Mutex(State(sent: sent))
    }

    /// - Parameter sentIn: the entries whose accepted messages count (those before the
    ///   expectation began).
    init(device: DeviceID, vantage: Vantage, sentIn entries: some Sequence<RunRecord.Entry>) {
        self.device = device
        self.vantage = vantage
        self.countsDeviceEvents = false
        var state = State()
        for entry in entries {
            if let id = Self.accepted(entry, device: device), !state.sent.contains(id) { state.sent.append(id) }
        }
        self.state = Mutex(state)
    }

    /// Counts a delivery the entry shows, if it shows one.
    func apply(_ entry: RunRecord.Entry) {
        let delivered = countsDeviceEvents ? Self.received(entry, device: device) : Self.delivered(entry, device: device, vantage: vantage)
        guard let id = delivered else { return }
        state.withLock { $0.received[id, default: 0] += 1 }
    }

    /// `true` when every message arrived (and none twice unless allowed), `false` when one
    /// arrived twice and that is not allowed, `nil` while messages are still missing.
    func verdict(duplicatesAllowed: Bool) -> Bool? {
        state.withLock { state in
            if !duplicatesAllowed, state.sent.contains(where: { state.received[$0, default: 0] > 1 }) { return false }
            return state.sent.allSatisfy { state.received[$0, default: 0] > 0 } ? true : nil
        }
    }

    /// `2 of 3 messages reached the device; missing: m3`, `m1 reached the device 2 times`.
    func describe() -> String {
        state.withLock { state in
            guard !state.sent.isEmpty else { return "no C2D message was sent to the device before this step" }
            let missing = state.sent.filter { state.received[$0, default: 0] == 0 }
            let twice = state.sent.filter { state.received[$0, default: 0] > 1 }
            var parts = ["\(state.sent.count - missing.count) of \(state.sent.count) message\(state.sent.count == 1 ? "" : "s") reached the device"]
            if !missing.isEmpty { parts.append("missing: " + Self.list(missing)) }
            if !twice.isEmpty { parts.append("more than once: " + twice.prefix(10).map { "\($0) (\(state.received[$0, default: 0])x)" }.joined(separator: ", ")) }
            return parts.joined(separator: "; ")
        }
    }

    private static func list(_ ids: [String]) -> String {
        ids.prefix(10).joined(separator: ", ") + (ids.count > 10 ? " and \(ids.count - 10) more" : "")
    }

    /// The id of a message the cloud side accepted for `device`.
    static func accepted(_ entry: RunRecord.Entry, device: DeviceID) -> String? {
        switch entry.event {
        case .cloud(.messageQueued(device, let id, _)), .cloud(.messageAccepted(device, let id)): id
        default: nil
        }
    }

    /// The message id of a C2D message `device` reported receiving.
    static func received(_ entry: RunRecord.Entry, device: DeviceID) -> String? {
        guard case .device(let owner, let event) = entry.event, owner == device, case .messageReceived(let topic, _, _) = event,
            case .devicebound(_, let properties)? = try? IoTHubTopic(parsing: topic.string, malformedBag: .readAsEmpty)
        else { return nil }
        return properties["$.mid"] ?? nil
    }

    /// The message id of a C2D PUBLISH that reached `device`, seen at its vantage.
    package static func delivered(_ entry: RunRecord.Entry, device: DeviceID, vantage: Vantage) -> String? {
        guard case .packet(let observation) = entry.event, observation.device == device, observation.vantage == vantage, observation.flow == .toDevice,
            case .publish(let publish) = observation.record.packet,
            case .devicebound(_, let properties)? = try? IoTHubTopic(parsing: publish.topic.string, malformedBag: .readAsEmpty)
        else { return nil }
        return properties["$.mid"] ?? nil
    }
}
