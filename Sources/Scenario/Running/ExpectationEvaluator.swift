import Devices
import Foundation
import IoTHubCore
import MQTTCore
import Synchronization

/// The action an expectation measures from.
struct Cause: Sendable {
    /// The step that acted; `nil` for the start of the run.
    var step: StepNumber?
    var time: UInt64
    /// Record position when the action started.
    var index: Int
    /// When the action returned, and the record position then: `for` windows start here, so
    /// the action's own immediate effects (a message entering the queue) are not violations.
    var endTime: UInt64
    var endIndex: Int

    init(step: StepNumber?, time: UInt64, index: Int) {
        self.step = step
        self.time = time
        self.index = index
        self.endTime = time
        self.endIndex = index
    }

    var name: String { step.map { "step \($0)" } ?? "the start of the run" }
}

/// Decides whether an expectation holds by watching the record from the causing action.
struct ExpectationEvaluator: Sendable {
    let record: RunRecord
    /// Multiplies `within` deadlines (see ``RunEnvironment/deadlineScale``).
    var deadlineScale: Double = 1

    struct Evaluation {
        var status: StepStatus
        var latency: Duration?
        /// The record position of the observation that satisfied it (for `after`).
        var matchIndex: Int?
        /// For a failure: the record position of the observation that contradicted it (other
        /// bytes than those expected), when one did.
        var contradictedAt: Int?
    }

    /// Decides `expectation` for `device`, measured from `cause`.
    /// - Parameter notBefore: with `after: N`, the position just past step N's observation:
    ///   this one must come later.
    func evaluate(_ expectation: Expectation, device: DeviceID?, cause: Cause, notBefore: Int? = nil) async -> Evaluation {
        if case .oneOf(let alternatives) = expectation.subject {
            return await evaluateOneOf(alternatives, expectation: expectation, device: device, cause: cause, notBefore: notBefore)
        }
        let began = record.clock.nanoseconds()
        let windowStart = expectation.deadline.isWithin ? cause.time : cause.endTime
        let startIndex = expectation.deadline.isWithin ? cause.index : cause.endIndex
        let allowed = expectation.deadline.isWithin && deadlineScale != 1
            ? expectation.deadline.duration * deadlineScale : expectation.deadline.duration
        let windowEnd = windowStart &+ UInt64(max(0, allowed.nanoseconds))
        let history = Array(record.entries().prefix(startIndex))
        let matcher = SubjectMatcher(subject: expectation.subject, device: device, vantage: device.map(record.vantage(of:)) ?? .device, history: history)
        let expected = "\(expectation) of \(cause.name)" + (allowed != expectation.deadline.duration ? " (scaled x\(deadlineScale))" : "")
        if case .bytes(let bytes, let exact) = expectation.subject, let device {
            return await evaluateBytes(bytes, exact: exact, device: device, cause: cause, windowEnd: windowEnd, expected: expected)
        }
        if case .delivered(let duplicates) = expectation.subject, let device {
            return await evaluateDelivered(duplicates: duplicates, device: device, expectation: expectation, cause: cause, windowEnd: windowEnd, expected: expected)
        }
        if case .queued(let count) = expectation.subject, let device {
            return await evaluateQueue(count, device: device, expectation: expectation, cause: cause, startIndex: startIndex, windowEnd: windowEnd, expected: expected)
        }
        switch expectation.deadline {
        case .within:
            // A reconnect belongs to the drop before it, not to the step before the expectation:
            // it is looked for from the device's last drop, so a device that came back before
            // that step ran (a fast umqtt.robust) is not missed. Its latency is from the drop.
            var searchFrom = max(cause.index, notBefore ?? 0)
            var measuredFrom = cause.time
            if case .reconnected(true) = expectation.subject, let device, let drop = history.lastIndex(where: { Self.isDrop($0, of: device) }) {
                searchFrom = drop
                measuredFrom = history[drop].time
            }
            let match = await record.firstMatch(from: searchFrom, until: windowEnd) { matcher.verdict($0) != .irrelevant }
            guard let (matchIndex, entry) = match else {
                var observed = ObservationSummary(entries: record.entries(), matcher: matcher, cause: cause, windowEnd: windowEnd).describe()
                if let notBefore, let after = expectation.after,
                    let early = Self.earlyMatch(in: record.entries(), from: cause.index, before: notBefore, subject: expectation.subject, device: device, vantage: device.map(record.vantage(of:)) ?? .device)
                {
                    let at = ScenarioDuration.formatMilliseconds(.nanoseconds(Int64(early.time &- cause.time)))
                    observed = "it arrived at +\(at), before the observation of step \(after): out of order"
                }
                if windowEnd <= began {
                    // Earlier steps used the window up: say so rather than report a wait of no time.
                    let late = ScenarioDuration.formatMilliseconds(.nanoseconds(Int64(began &- cause.time)))
                    observed += " (this step began \(late) after \(cause.name), when its deadline had already passed)"
                }
                return Evaluation(status: .failed(Failure(expected: expected, observed: observed)), latency: nil)
            }
            let latency = Duration.nanoseconds(Int64(entry.time &- measuredFrom))
            let after = "after \(ScenarioDuration.formatMilliseconds(latency))"
            if case .contradicts(let what) = matcher.verdict(entry) {
                return Evaluation(status: .failed(Failure(expected: expected, observed: "\(what) \(after)")), latency: nil)
            }
            if entry.time > windowEnd {
                return Evaluation(status: .failed(Failure(expected: expected, observed: "it happened \(after), too late")), latency: latency)
            }
            return Evaluation(status: .passed, latency: latency, matchIndex: matchIndex)
        case .holdsFor:
            if expectation.subject.isState, let device {
                let initial = ObservationSummary.state(of: expectation.subject, device: device, in: history)
                if let initial, !Self.stateMatches(expectation.subject, initial) {
                    // Say when it changed if that happened while the action ran.
                    let during = record.entries()[cause.index..<min(startIndex, record.count)]
                    if let change = during.last(where: { Self.changesState(expectation.subject, entry: $0, device: device) }) {
                        let at = Duration.nanoseconds(Int64(change.time &- cause.time))
                        let what = Self.describeViolation(change.event)
                        return Evaluation(status: .failed(Failure(expected: expected, observed: "\(what) after \(ScenarioDuration.formatMilliseconds(at))")), latency: at)
                    }
                    return Evaluation(status: .failed(Failure(expected: expected, observed: "it was \(initial) when \(cause.name) ended")), latency: nil)
                }
            }
            // An event must not happen from the moment the action started: another device's
            // answer to it can arrive before the action has returned (a QoS 0 publish returns
            // after its write, and a broker on loopback forwards it within a fraction of a
            // millisecond). States are judged from the action's end.
            let searchFrom = expectation.subject.isState ? startIndex : cause.index
            let violation = await record.firstMatch(from: searchFrom, until: windowEnd) { entry in
                if expectation.subject.isState { return Self.changesState(expectation.subject, entry: entry, device: device) }
                return matcher.verdict(entry) == .satisfies
            }
            if let (_, entry) = violation, entry.time <= windowEnd {
                let at = Duration.nanoseconds(Int64(entry.time &- (expectation.subject.isState ? windowStart : cause.time)))
                let what = Self.describeViolation(entry.event)
                return Evaluation(status: .failed(Failure(expected: expected, observed: "\(what) after \(ScenarioDuration.formatMilliseconds(at))")), latency: at)
            }
            return Evaluation(status: .passed, latency: nil)
        }
    }

    /// An observation that would have satisfied `subject` but came before `limit` (the
    /// observation an `after:` expectation must follow).
    static func earlyMatch(in entries: [RunRecord.Entry], from start: Int, before limit: Int, subject: Expectation.Subject, device: DeviceID?, vantage: Vantage) -> RunRecord.Entry? {
        guard start < limit, limit <= entries.count else { return nil }
        let matcher = SubjectMatcher(subject: subject, device: device, vantage: vantage, history: Array(entries.prefix(start)))
        return entries[start..<limit].first { matcher.verdict($0) == .satisfies }
    }

    /// Whether `entry` is `device` losing its connection (as the hub or the device saw it).
    static func isDrop(_ entry: RunRecord.Entry, of device: DeviceID) -> Bool {
        switch entry.event {
        case .cloud(.disconnected(device, _, _, _)), .device(device, .disconnected): true
        default: false
        }
    }

    /// A violation of a `for` expectation, in a few words.
    static func describeViolation(_ event: RunEvent) -> String {
        switch event {
        case .device(_, .led(let isOn, _)): "LED switched \(isOn ? "on" : "off")"
        case .device(_, .pinWritten(let pin, let value)): "pin \(pin) switched to \(value ? 1 : 0)"
        case .cloud(.disconnected(_, _, _, let detail)): "disconnected (\(detail))"
        case .cloud(.connected): "reconnected"
        default: RecordText.line(for: event) ?? "\(event)"
        }
    }

    // MARK: States

    static func stateMatches(_ subject: Expectation.Subject, _ state: String) -> Bool {
        switch subject {
        case .led(let isOn): state == (isOn ? "on" : "off")
        case .pin(_, let value): state == (value ? "1" : "0")
        case .queued(let count): state == String(count)
        default: false
        }
    }

    /// Whether the entry moves a state subject away from its expected value.
    static func changesState(_ subject: Expectation.Subject, entry: RunRecord.Entry, device: DeviceID?) -> Bool {
        guard case .device(device, let event) = entry.event else { return false }
        switch (subject, event) {
        case (.led(let isOn), .led(let state, _)): return state != isOn
        case (.pin(let number, let value), .pinWritten(let pin, let written)): return pin == number && written != value
        default: return false
        }
    }

    /// `queued: N` follows the device's queue depth as the hub's events change it.
    private func evaluateQueue(
        _ count: Int,
        device: DeviceID,
        expectation: Expectation,
        cause: Cause,
        startIndex: Int,
        windowEnd: UInt64,
        expected: String
    ) async -> Evaluation {
        let depth = QueueDepth(device: device, entries: record.entries().prefix(startIndex))
        let startDepth = depth.value
        switch expectation.deadline {
        case .within:
            if startDepth == count { return Evaluation(status: .passed, latency: .zero) }
            let match = await record.firstMatch(from: startIndex, until: windowEnd) { depth.apply($0) == count }
            if let (_, entry) = match, entry.time <= windowEnd {
                return Evaluation(status: .passed, latency: .nanoseconds(Int64(entry.time &- cause.time)))
            }
            let final = QueueDepth(device: device, entries: record.entries().prefix { $0.time <= windowEnd }).value
            return Evaluation(status: .failed(Failure(expected: expected, observed: "queue depth \(startDepth) at the start, \(final) at the deadline")), latency: nil)
        case .holdsFor:
            guard startDepth == count else {
                return Evaluation(status: .failed(Failure(expected: expected, observed: "queue depth was \(startDepth) when \(cause.name) ended")), latency: nil)
            }
            let change = await record.firstMatch(from: startIndex, until: windowEnd) { depth.apply($0) != count }
            if let (_, entry) = change, entry.time <= windowEnd {
                let at = ScenarioDuration.formatMilliseconds(.nanoseconds(Int64(entry.time &- cause.endTime)))
                return Evaluation(status: .failed(Failure(expected: expected, observed: "queue depth became \(depth.value) after \(at)")), latency: nil)
            }
            return Evaluation(status: .passed, latency: nil)
        }
    }
}

/// A device's C2D queue depth, replayed from the hub's events.
final class QueueDepth: Sendable {
    let device: DeviceID
    private let depth: Mutex<Int>

    init(device: DeviceID, entries: some Sequence<RunRecord.Entry>) {
        self.device = device
        self.depth = Mutex(0)
        for entry in entries { _ = apply(entry) }
    }

    var value: Int { depth.withLock { $0 } }

    /// Applies one entry; returns the depth after it.
    func apply(_ entry: RunRecord.Entry) -> Int {
        depth.withLock { depth in
            switch entry.event {
            case .cloud(.messageQueued(device, _, let newDepth)): depth = newDepth
            case .cloud(.messageCompleted(device, _)), .cloud(.messageDeadLettered(device, _, _)): depth = max(0, depth - 1)
            default: break
            }
            return depth
        }
    }
}
