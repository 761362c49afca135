import Devices
import IoTHubCore
import MQTTCore
import Reporting

/// Steps on fleets: an action is carried out for every member of the selection, at most
/// ``FleetFanOut/inFlightLimit`` at once and, for `connect`, no faster than the fleet's
/// `connect_rate`; an expectation is decided for every member in one pass.
extension StepContext {
    /// Carries out an action for each member; returns the step's status and the members'
    /// outcomes, and each member's start time (its expectations measure from it).
    func runFleetAction(_ step: Step, selection: FleetSelection) async -> (StepStatus, FleetStepOutcome, [DeviceID: UInt64]) {
        let ids = session.target.members(of: selection)
        var outcome = FleetStepOutcome(selected: ids.count, required: ids.count)
        guard !ids.isEmpty else {
            outcome.note = "no member of the selection runs here (another shard holds them)"
            return (.passed, outcome, [:])
        }
        let runSession = session
        let participants = ids.compactMap { runSession.participants[$0] }
        let rate: Double? = step.kind.isConnect ? runSession.target.fleet(named: selection.fleet)?.connectRate : nil
        let results = await FleetFanOut.run(participants, rate: rate, clock: clock) { [kind = step.kind, clock = clock] participant in
            await FleetFanOut.perform(kind, on: participant, session: runSession, clock: clock)
        }
        let (tally, starts) = FleetFanOut.tally(results, selected: ids.count)
        if tally.missedCount > 0 {
            return (.failed(Failure(expected: "\(step.title) on every device of \(selection)", observed: tally.describeMisses())), tally, starts)
        }
        return (.passed, tally, starts)
    }
}

extension Step.Kind {
    /// Whether this is `connect` (paced by a fleet's connect rate).
    var isConnect: Bool {
        if case .connect = self { true } else { false }
    }
}

/// Runs an operation for many devices at once, bounded and paced.
enum FleetFanOut {
    /// The most operations in flight at once: enough to keep the hub busy, few enough that
    /// its listen backlog does not overflow and drop connection attempts.
    static let inFlightLimit = 256

    struct Result: Sendable {
        var device: DeviceID
        var start: UInt64
        var end: UInt64
        var status: StepStatus
    }

    /// Carries out `kind` for one member: a C2D message to it, or its own action.
    static func perform(_ kind: Step.Kind, on participant: RunSession.Participant, session: RunSession, clock: any MonotonicClock) async -> Result {
        let start = clock.nanoseconds()
        let status: StepStatus
        do {
            if case .send(let message) = kind {
                let timeout = session.environment.scaled(session.environment.actionTimeout)
                status = try await session.backend.sendCloudToDevice(message.message, to: participant.spec.id, timeout: timeout).status(expecting: message.refusal)
            } else {
                status = try await session.perform(kind, on: participant)
            }
        } catch {
            status = .errored(message: "\(error)")
        }
        return Result(device: participant.spec.id, start: start, end: clock.nanoseconds(), status: status)
    }

    /// The members' outcomes: action latencies of those that passed, the first misses by id,
    /// and when the action started for each member.
    static func tally(_ results: [Result], selected: Int) -> (FleetStepOutcome, [DeviceID: UInt64]) {
        var outcome = FleetStepOutcome(selected: selected, required: selected)
        var starts: [DeviceID: UInt64] = [:]
        var missed: [FleetStepOutcome.Miss] = []
        for result in results {
            starts[result.device] = result.start
            switch result.status {
            case .passed:
                outcome.passed += 1
                outcome.latencies.record(nanoseconds: result.end &- result.start)
            case .failed(let failure):
                missed.append(FleetStepOutcome.Miss(device: result.device, observed: failure.observed))
            case .errored(let message):
                missed.append(FleetStepOutcome.Miss(device: result.device, observed: message))
            case .skipped(let reason), .notApplicable(let reason):
                missed.append(FleetStepOutcome.Miss(device: result.device, observed: reason))
            }
        }
        outcome.missedCount = missed.count
        missed.sort { $0.device < $1.device }
        outcome.misses = Array(missed.prefix(FleetStepOutcome.listedMisses))
        return (outcome, starts)
    }

    /// Runs `operation` for every item, at most ``inFlightLimit`` at once and, when a rate is
    /// given, paced by a ``ConnectPacer`` (the fleet connector's token bucket) on `clock`.
    /// Results come back in the items' order.
    static func run<Item: Sendable>(
        _ items: [Item],
        rate: Double?,
        clock: any MonotonicClock,
        _ operation: @escaping @Sendable (Item) async -> Result
    ) async -> [Result] {
        var pacer = rate.flatMap { try? ConnectPacer(rate: $0, now: clock.nanoseconds()) }
        return await withTaskGroup(of: (Int, Result).self) { group in
            var results: [Result?] = Array(repeating: nil, count: items.count)
            var inFlight = 0
            for (index, item) in items.enumerated() {
                if inFlight >= inFlightLimit, let (done, result) = await group.next() {
                    results[done] = result
                    inFlight -= 1
                }
                if var paced = pacer {
                    while paced.take(upTo: 1, now: clock.nanoseconds()) == 0 {
                        let now = clock.nanoseconds()
                        try? await Task.sleep(for: .nanoseconds(Int64(clamping: paced.nextToken(now: now) &- now)))
                    }
                    pacer = paced
                }
                group.addTask { (index, await operation(item)) }
                inFlight += 1
            }
            for await (done, result) in group { results[done] = result }
            return results.compactMap { $0 }
        }
    }
}
