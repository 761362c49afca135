import Devices
import IoTHubCore
import MQTTCore
import Reporting
import Synchronization

/// Decides an expectation for every member of a fleet selection in one pass over the record:
/// each member has its own matcher and its own window (from the moment the step's action
/// reached it), latencies go into a histogram, and the members that missed are named with
/// what each observed.
struct FleetExpectationEvaluator: Sendable {
    let record: RunRecord
    /// Multiplies `within` deadlines (see ``RunEnvironment/deadlineScale``).
    var deadlineScale: Double = 1

    /// One member's progress.
    private struct Member {
        var matcher: SubjectMatcher
        /// Record position the member's observations count from.
        var searchFrom: Int
        /// When the member's window opened (the action reached it) and its latency origin.
        var start: UInt64
        var measuredFrom: UInt64
        var windowEnd: UInt64
        /// The member's C2D ledger, for `delivered`.
        var ledger: DeliveryLedger?
        /// For states held `for` a time: the state when the window opened.
        var initialState: String?
    }

    private struct Progress {
        var pending: [DeviceID: Member]
        var latencies = LatencyHistogram()
        var passed = 0
        /// Members that missed, with what they observed when it was known at the time.
        var missed: [DeviceID: String?] = [:]
    }

    /// Decides `expectation` for `members`, measured from `cause`, each member from its own
    /// start in `memberStarts` when the action reached members one by one.
    func evaluate(_ expectation: Expectation, members: [DeviceID], cause: Cause, memberStarts: [DeviceID: UInt64]) async -> (StepStatus, FleetStepOutcome) {
        let quorum = expectation.quorum ?? .all
        var outcome = FleetStepOutcome(selected: members.count, required: quorum.required(of: members.count))
        guard !members.isEmpty else {
            outcome.note = "no member of the selection runs here (another shard holds them)"
            return (.passed, outcome)
        }
        let allowed = expectation.deadline.isWithin && deadlineScale != 1 ? expectation.deadline.duration * deadlineScale : expectation.deadline.duration
        let span = UInt64(max(0, allowed.nanoseconds))
        // A state held `for` a time is judged from the action's end, as for one device.
        let judgesFromEnd = !expectation.deadline.isWithin && expectation.subject.isState
        let history = Array(record.entries().prefix(judgesFromEnd ? cause.endIndex : cause.index))
        let drops = Self.lastDrops(in: history, of: Set(members))
        let states = expectation.subject.isState ? Self.states(of: expectation.subject, in: history, for: Set(members)) : [:]
        var sent: [DeviceID: [String]] = [:]
        if case .delivered = expectation.subject {
            for entry in record.entries() {
                guard let device = entry.event.deviceID, let id = DeliveryLedger.accepted(entry, device: device) else { continue }
                if sent[device]?.contains(id) != true { sent[device, default: []].append(id) }
            }
        }
        var pending: [DeviceID: Member] = [:]
        for device in members {
            let start = memberStarts[device] ?? cause.time
            var searchFrom = judgesFromEnd ? cause.endIndex : cause.index
            var measuredFrom = start
            if case .reconnected(true) = expectation.subject, let drop = drops[device] {
                searchFrom = drop.index
                measuredFrom = drop.time
            }
            var member = Member(
                matcher: SubjectMatcher(subject: expectation.subject, device: device, vantage: .device, history: []),
                searchFrom: searchFrom,
                start: start,
                measuredFrom: measuredFrom,
                windowEnd: (judgesFromEnd ? max(start, cause.endTime) : start) &+ span
            )
            if case .delivered = expectation.subject {
                member.ledger = DeliveryLedger(device: device, sent: sent[device] ?? [], countsDeviceEvents: true)
            }
            member.initialState = states[device]
            pending[device] = member
        }
        let windowEnd = pending.values.map(\.windowEnd).max() ?? cause.time
        let scanFrom = pending.values.map(\.searchFrom).min() ?? cause.index
        let members = pending
        let progress = Mutex(Progress(pending: pending))
        let subject = expectation.subject
        let isWithin = expectation.deadline.isWithin
        // Members whose state was already wrong when a `for` window opened miss at once.
        if !isWithin, subject.isState {
            progress.withLock { progress in
                for (device, member) in progress.pending where member.initialState.map({ !ExpectationEvaluator.stateMatches(subject, $0) }) ?? false {
                    progress.pending[device] = nil
                    Self.miss(device, "it was \(member.initialState ?? "unknown") when the window opened", into: &progress)
                }
            }
        }
        // A `delivered` member whose messages had all arrived before this step passes now.
        if case .delivered(let duplicates) = subject {
            progress.withLock { progress in
                for (device, member) in progress.pending {
                    guard let ledger = member.ledger else { continue }
                    for entry in history { ledger.apply(entry) }
                    if let verdict = ledger.verdict(duplicatesAllowed: duplicates) {
                        progress.pending[device] = nil
                        if verdict { Self.pass(latency: 0, into: &progress) } else { Self.miss(device, ledger.describe(), into: &progress) }
                    }
                }
            }
        }
        _ = await record.firstMatch(from: scanFrom, until: windowEnd) { entry in
            progress.withLock { progress in
                Self.observe(entry, subject: subject, isWithin: isWithin, progress: &progress)
                return progress.pending.isEmpty
            }
        }
        // Whoever is still pending: for `within`, a miss; for `for`, it held.
        let final = progress.withLock { progress -> Progress in
            for device in progress.pending.keys {
                if isWithin { progress.missed[device] = .some(nil) } else { Self.pass(latency: nil, into: &progress) }
            }
            progress.pending = [:]
            return progress
        }
        outcome.passed = final.passed
        outcome.latencies = final.latencies
        outcome.missedCount = final.missed.count
        // The first ten by id, each with what it observed (worked out now for those that
        // simply saw nothing in time).
        let listed = Array(final.missed.keys.sorted().prefix(FleetStepOutcome.listedMisses))
        // One copy of the record for every listed member that simply saw nothing in time.
        let entries = listed.contains { final.missed[$0] ?? nil == nil } ? record.entries() : []
        outcome.misses = listed.map { device in
            let known = final.missed[device] ?? nil
            let observed = known ?? members[device].map { Self.describeMiss($0, device: device, entries: entries, cause: cause) } ?? "nothing"
            return FleetStepOutcome.Miss(device: device, observed: observed)
        }
        guard outcome.passed >= outcome.required else {
            let expected = "\(expectation) of \(cause.name)" + (allowed != expectation.deadline.duration ? " (scaled x\(deadlineScale))" : "")
            return (.failed(Failure(expected: expected, observed: outcome.describeMisses())), outcome)
        }
        return (.passed, outcome)
    }

    /// Applies one entry to the member it concerns.
    private static func observe(_ entry: RunRecord.Entry, subject: Expectation.Subject, isWithin: Bool, progress: inout Progress) {
        guard let device = entry.event.deviceID, let member = progress.pending[device] else { return }
        if case .delivered(let duplicates) = subject, let ledger = member.ledger {
            ledger.apply(entry)
            guard let verdict = ledger.verdict(duplicatesAllowed: duplicates) else { return }
            progress.pending[device] = nil
            if !verdict {
                miss(device, ledger.describe(), into: &progress)
            } else if entry.time > member.windowEnd {
                miss(device, "the last message arrived after \(ScenarioDuration.formatMilliseconds(.nanoseconds(Int64(entry.time &- member.start)))), too late", into: &progress)
            } else {
                pass(latency: entry.time &- member.start, into: &progress)
            }
            return
        }
        if !isWithin {
            let violated = subject.isState ? ExpectationEvaluator.changesState(subject, entry: entry, device: device) : member.matcher.verdict(entry) == .satisfies
            guard violated, entry.time <= member.windowEnd else { return }
            progress.pending[device] = nil
            let at = ScenarioDuration.formatMilliseconds(.nanoseconds(Int64(entry.time &- member.start)))
            miss(device, "\(ExpectationEvaluator.describeViolation(entry.event)) after \(at)", into: &progress)
            return
        }
        switch member.matcher.verdict(entry) {
        case .irrelevant:
            return
        case .contradicts(let what):
            progress.pending[device] = nil
            miss(device, "\(what) after \(ScenarioDuration.formatMilliseconds(.nanoseconds(Int64(entry.time &- member.measuredFrom))))", into: &progress)
        case .satisfies:
            progress.pending[device] = nil
            let latency = entry.time &- member.measuredFrom
            if entry.time > member.windowEnd {
                miss(device, "it happened after \(ScenarioDuration.formatMilliseconds(.nanoseconds(Int64(latency)))), too late", into: &progress)
            } else {
                pass(latency: latency, into: &progress)
            }
        }
    }

    private static func pass(latency: UInt64?, into progress: inout Progress) {
        progress.passed += 1
        if let latency { progress.latencies.record(nanoseconds: latency) }
    }

    private static func miss(_ device: DeviceID, _ observed: String, into progress: inout Progress) {
        progress.missed[device] = .some(observed)
    }

    /// What a member that never satisfied the expectation observed.
    private static func describeMiss(_ member: Member, device: DeviceID, entries all: [RunRecord.Entry], cause: Cause) -> String {
        if let ledger = member.ledger { return ledger.describe() }
        var memberCause = cause
        memberCause.time = member.start
        let entries = all.filter { $0.event.deviceID == device || $0.event.deviceID == nil }
        let index = entries.firstIndex { $0.time >= member.start } ?? entries.count
        memberCause.index = index
        return ObservationSummary(entries: entries, matcher: member.matcher, cause: memberCause, windowEnd: member.windowEnd).describe()
    }

    /// Each member's last drop (as the hub or the device saw it) in `history`.
    private static func lastDrops(in history: [RunRecord.Entry], of members: Set<DeviceID>) -> [DeviceID: (index: Int, time: UInt64)] {
        var drops: [DeviceID: (index: Int, time: UInt64)] = [:]
        for (index, entry) in history.enumerated() {
            guard let device = entry.event.deviceID, members.contains(device), ExpectationEvaluator.isDrop(entry, of: device) else { continue }
            drops[device] = (index, entry.time)
        }
        return drops
    }

    /// Each member's LED or pin state at the end of `history`.
    private static func states(of subject: Expectation.Subject, in history: [RunRecord.Entry], for members: Set<DeviceID>) -> [DeviceID: String] {
        var states: [DeviceID: String] = [:]
        for device in members { states[device] = subject.name == "led" ? "off" : "0" }
        for entry in history {
            guard case .device(let device, let event) = entry.event, members.contains(device) else { continue }
            switch (subject, event) {
            case (.led, .led(let isOn, _)): states[device] = isOn ? "on" : "off"
            case (.pin(let number, _), .pinWritten(let pin, let value)) where pin == number: states[device] = value ? "1" : "0"
            default: break
            }
        }
        return states
    }
}
