import Devices
import IoTHubCore
import MQTTCore
import NIOCore
import Synchronization

/// Decides, entry by entry, what the record says about one expectation's subject for one
/// device. Packets in the record are already attributed to their device.
final class SubjectMatcher: Sendable {
    enum Verdict: Equatable {
        /// The entry is what the expectation looks for.
        case satisfies
        /// The entry makes the expectation impossible (a different CONNACK, a crashed device).
        case contradicts(String)
        case irrelevant
    }

    let subject: Expectation.Subject
    let device: DeviceID?
    /// Where the device's packets are watched: its CONNACKs are its own events at its own
    /// codec, the hub's answers at the hub.
    let vantage: Vantage
    /// The device's subscriptions as its SUBSCRIBEs and the broker's SUBACKs made them, for
    /// `published_qos` (only followed when an expectation needs it).
    private let grants: Mutex<SubscriptionGrants?>

    init(subject: Expectation.Subject, device: DeviceID?, vantage: Vantage, history: [RunRecord.Entry]) {
        self.subject = subject
        self.device = device
        self.vantage = vantage
        if case .packet(let matcher) = subject, matcher.publishedQoS != nil, let device {
            var grants = SubscriptionGrants(device: device)
            for entry in history { grants.learn(entry) }
            self.grants = Mutex(grants)
        } else {
            self.grants = Mutex(nil)
        }
    }

    func verdict(_ entry: RunRecord.Entry) -> Verdict {
        switch subject {
        case .connack(let code):
            return connack(entry, code)
        case .led(let isOn):
            if case .device(device, .led(let state, _)) = entry.event, state == isOn { return .satisfies }
            return crashed(entry)
        case .pin(let number, let value):
            if case .device(device, .pinWritten(number, let written)) = entry.event, written == value { return .satisfies }
            return crashed(entry)
        case .packet(let matcher):
            grants.withLock { $0?.learn(entry) }
            guard case .packet(let observation) = entry.event, matches(matcher, observation) else { return .irrelevant }
            let record = observation.record
            if let problem = Self.mqtt5Mismatch(matcher, record.packet) {
                return Self.isDecisive(matcher) ? .contradicts(problem) : .irrelevant
            }
            if let published = matcher.publishedQoS, case .publish(let publish) = record.packet {
                let (grant, matching) = grants.withLock { ($0?.grant(for: publish.topic), $0?.matchingCount(for: publish.topic) ?? 0) }
                let expected = grant.map { min(published, $0) } ?? published
                if publish.qos != expected, matching > 1 {
                    // Overlapping subscriptions: the broker may send one copy per subscription,
                    // each at that subscription's QoS; one of them must come at the highest.
                    return .irrelevant
                }
                guard publish.qos == expected else {
                    let basis = grant.map { "granted QoS \($0.rawValue) in the SUBACK" } ?? "no SUBACK seen for a matching filter"
                    return .contradicts(
                        "the broker delivered \(record.packet.summary) at QoS \(publish.qos.rawValue); it was published at QoS \(published.rawValue) and \(basis), so it must be delivered at QoS \(expected.rawValue), the minimum [MQTT-3.8.4-6]"
                    )
                }
            }
            return .satisfies
        case .telemetry(let matcher):
            guard case .cloud(.telemetry(device, let properties, let payload)) = entry.event else { return .irrelevant }
            if let expected = matcher.payload, String(buffer: payload) != expected { return .irrelevant }
            for property in matcher.properties.properties where properties[property.name] != .some(property.value) {
                return .irrelevant
            }
            return .satisfies
        case .disconnected(_, let reason):
            switch entry.event {
            case .cloud(.disconnected(device, _, let kind, let detail)):
                guard let reason else { return .satisfies }
                return kind == reason ? .satisfies : .contradicts("disconnected for another reason: \(detail)")
            case .device(device, .disconnected) where reason == nil:
                return .satisfies
            default:
                return .irrelevant
            }
        case .reconnected:
            if case .cloud(.connected(device, _, _, _, _)) = entry.event { return .satisfies }
            return .irrelevant
        case .queued:
            // A state: ExpectationEvaluator follows the depth; single entries say nothing.
            return .irrelevant
        case .output(let pattern):
            if case .device(device, .output(let line)) = entry.event, pattern.matches(line) { return .satisfies }
            return .irrelevant
        case .provisioned(let matcher):
            guard case .cloud(.provisioning(let activity)) = entry.event, activity.device == device, let matches = matcher.matches(activity) else { return .irrelevant }
            return matches ? .satisfies : .contradicts("DPS: \(activity.text)")
        case .bytes, .oneOf, .delivered:
            // A stream, branches, or a tally: ExpectationEvaluator decides those; single entries say nothing.
            return .irrelevant
        }
    }

    private func connack(_ entry: RunRecord.Entry, _ code: ConnectReturnCode) -> Verdict {
        if vantage == .device {
            switch entry.event {
            case .device(device, .connAckReceived(let connack)):
                return connack.returnCode == code ? .satisfies : .contradicts("CONNACK \(connack.returnCode)")
            case .device(device, .crashed(let reason)), .device(device, .transportFailed(let reason)):
                return .contradicts("no CONNACK: the device stopped: \(reason)")
            default:
                return .irrelevant
            }
        }
        switch entry.event {
        case .cloud(.connected(device, _, _, _, _)):
            return code == .accepted ? .satisfies : .contradicts("CONNACK \(ConnectReturnCode.accepted)")
        case .cloud(.refused(let clientID, _, let refused, _)) where clientID == device?.string:
            return refused == code ? .satisfies : .contradicts("CONNACK \(refused)")
        default:
            return .irrelevant
        }
    }

    private func crashed(_ entry: RunRecord.Entry) -> Verdict {
        if case .device(device, .crashed(let reason)) = entry.event { return .contradicts("the device stopped: \(reason)") }
        return .irrelevant
    }

    private func matches(_ matcher: PacketMatcher, _ observation: PacketObservation) -> Bool {
        let record = observation.record
        guard record.packet.type == matcher.type, observation.device == device else { return false }
        if let flow = matcher.flow, observation.flow != flow { return false }
        switch record.packet {
        case .publish(let publish):
            if let topic = matcher.topic, !topic.matches(publish.topic) { return false }
            if let qos = matcher.qos, publish.qos != qos { return false }
            if let dup = matcher.dup, publish.dup != dup { return false }
            if let retain = matcher.retain, publish.retain != retain { return false }
            if let payload = matcher.payload, String(buffer: publish.payload) != payload { return false }
        case .subscribe(let subscribe):
            if let topic = matcher.topic, !subscribe.subscriptions.contains(where: { $0.filter.string == topic.string }) { return false }
            if let qos = matcher.qos, !subscribe.subscriptions.contains(where: { $0.qos == qos }) { return false }
        case .unsubscribe(let unsubscribe):
            if let topic = matcher.topic, !unsubscribe.filters.contains(where: { $0.string == topic.string }) { return false }
        default:
            break
        }
        return true
    }
}

/// The QoS a broker granted to each of a device's subscriptions, replayed from the packets:
/// a SUBSCRIBE the device sent names the filters of a packet identifier, the SUBACK for that
/// identifier grants them (a later grant for the same filter replaces an earlier one, an
/// UNSUBSCRIBE removes it).
struct SubscriptionGrants {
    let device: DeviceID
    private var pending: [UInt16: [TopicFilter]] = [:]
    private var pendingRemovals: [UInt16: [TopicFilter]] = [:]
    private var granted: [String: (filter: TopicFilter, qos: MQTTQoS)] = [:]

    init(device: DeviceID) {
        self.device = device
    }

    mutating func learn(_ entry: RunRecord.Entry) {
        guard case .packet(let observation) = entry.event, observation.device == device else { return }
        switch observation.record.packet {
        case .subscribe(let subscribe):
            pending[subscribe.packetID] = subscribe.subscriptions.map(\.filter)
        case .unsubscribe(let unsubscribe):
            pendingRemovals[unsubscribe.packetID] = unsubscribe.filters
        case .suback(let suback):
            guard let filters = pending.removeValue(forKey: suback.packetID) else { return }
            for (filter, code) in zip(filters, suback.returnCodes) {
                if case .granted(let qos) = code { granted[filter.string] = (filter, qos) } else { granted[filter.string] = nil }
            }
        case .unsuback(let unsuback):
            for filter in pendingRemovals.removeValue(forKey: unsuback.packetID) ?? [] { granted[filter.string] = nil }
        default:
            break
        }
    }

    /// How many granted subscriptions match `topic`.
    func matchingCount(for topic: TopicName) -> Int {
        granted.values.filter { $0.filter.matches(topic) }.count
    }

    /// The highest QoS granted to a subscription matching `topic` [MQTT-3.3.5-1]; `nil` when
    /// no granted subscription matches.
    func grant(for topic: TopicName) -> MQTTQoS? {
        granted.values.filter { $0.filter.matches(topic) }.map(\.qos).max()
    }
}
