import Foundation
import IoTHubCore
import MQTTCore
import NetworkTap
import Synchronization

extension StepContext {
    /// Runs a chaos block: its steps again and again until its time is up, while a strike
    /// task picks a fault from the list at random intervals (both drawn from the seed); the
    /// reconnect invariant is checked after each iteration, and every invariant at the end,
    /// once every fault has healed and the devices had time to recover. A failure names the
    /// seed, so `--seed` replays the same strikes.
    func runChaos(_ block: ChaosBlock, state: inout RunState) async -> (StepStatus, ChaosOutcome) {
        let seed = block.seed ?? session.environment.seed
        let start = clock.nanoseconds()
        let strikes = Mutex<(done: [String], failed: [String])>(([], []))
        let striker = Task { [session] in
            var random = SeededGenerator(seed: seed)
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.draw(block.interval, with: &random))
                guard !Task.isCancelled, !block.faults.isEmpty else { return }
                let fault = block.faults[Int(random.next() % UInt64(block.faults.count))]
                strikes.withLock { $0.done.append(fault.summary) }
                if case .failed(let failure) = await session.faults.start(fault) {
                    strikes.withLock { $0.failed.append("\(fault.summary): \(failure.observed)") }
                }
            }
        }
        var outcome = ChaosOutcome(seed: seed, iterations: 0, strikes: [])
        let end = start &+ UInt64(block.duration.nanoseconds)
        var status = StepStatus.passed
        iterations: while clock.nanoseconds() < end {
            outcome.iterations += 1
            for step in block.steps {
                let inner = await run(step, iteration: outcome.iterations, state: &state)
                switch inner.status {
                case .passed, .skipped:
                    continue
                case .notApplicable(let reason):
                    status = .notApplicable(reason: "iteration \(outcome.iterations), step \(step.number): \(reason)")
                case .failed(let failure):
                    status = .failed(Failure(expected: "iteration \(outcome.iterations), step \(step.number) (\(step.title)): \(failure.expected)", observed: failure.observed))
                case .errored(let message):
                    status = .errored(message: "iteration \(outcome.iterations), step \(step.number) (\(step.title)): \(message)")
                }
                break iterations
            }
            if let broken = ChaosInvariants.reconnectProblem(block.invariants, entries: record.entries(), from: start, now: clock.nanoseconds(), devices: devices) {
                status = .failed(Failure(expected: "every drop followed by a reconnect", observed: broken))
                break
            }
        }
        striker.cancel()
        _ = await striker.value
        let (done, failed) = strikes.withLock { ($0.done, $0.failed) }
        outcome.strikes = done
        if status.isPassed, let first = failed.first {
            status = .failed(Failure(expected: "every fault to strike", observed: "a strike could not be carried out: \(first)" + (failed.count > 1 ? " (and \(failed.count - 1) more)" : "")))
        }
        // Every fault heals; the devices get the longest reconnect time allowed to recover.
        _ = await session.faults.heal(FaultHeal())
        if status.isPassed {
            status = await settle(block, from: start)
        }
        if case .failed(let failure) = status {
            status = .failed(Failure(expected: failure.expected, observed: failure.observed + "; replay with --seed \(seed)"))
        }
        return (status, outcome)
    }

    /// Waits until every invariant holds, up to the longest reconnect time (10 s without one).
    private func settle(_ block: ChaosBlock, from start: UInt64) async -> StepStatus {
        let patience = block.invariants.compactMap { invariant -> Duration? in
            if case .reconnectedWithin(let duration) = invariant { return duration }
            return nil
        }.max() ?? .seconds(10)
        let deadline = clock.nanoseconds() &+ UInt64(patience.nanoseconds)
        while true {
            let now = clock.nanoseconds()
            let problems = ChaosInvariants.problems(block.invariants, entries: record.entries(), from: start, now: now, devices: devices, final: true)
            if problems.isEmpty { return .passed }
            if now >= deadline {
                let expected = block.invariants.map(\.description).joined(separator: ", ")
                return .failed(Failure(expected: "\(expected) after the chaos (waited \(ScenarioDuration.format(patience)) for the devices to recover)", observed: problems.joined(separator: "; ")))
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    private var devices: [DeviceID] { session.target.devices.map(\.id) }

    /// A wait drawn uniformly from `range`.
    static func draw(_ range: ClosedRange<Duration>, with random: inout SeededGenerator) -> Duration {
        let low = range.lowerBound.nanoseconds
        let width = UInt64(range.upperBound.nanoseconds - low)
        return .nanoseconds(low + Int64(width == 0 ? 0 : random.next() % (width + 1)))
    }
}
