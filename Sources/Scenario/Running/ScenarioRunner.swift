import Devices
import Foundation
import IoTHubCore
import MQTTCore
import NIOCore
import Reporting

/// Runs scenarios: starts the simulated hub and the devices, carries out the steps in order
/// with their deadlines, and records everything once in the run's record.
public struct ScenarioRunner: Sendable {
    public var environment: RunEnvironment

    public init(environment: RunEnvironment) {
        self.environment = environment
    }

    /// Live observers of a run, for console output.
    public struct Observers: Sendable {
        /// Called as each top-level step finishes.
        public var stepFinished: @Sendable (StepResult) -> Void
        /// Called for every observation as it happens (for `--verbose`).
        public var observed: (@Sendable (RunRecord.Entry) -> Void)?

        public init(stepFinished: @escaping @Sendable (StepResult) -> Void = { _ in }, observed: (@Sendable (RunRecord.Entry) -> Void)? = nil) {
            self.stepFinished = stepFinished
            self.observed = observed
        }
    }

    /// Runs the scenario against its first target.
    public func run(_ scenario: Scenario, observers: Observers = Observers()) async -> ScenarioResult {
        guard let target = scenario.targets.first else {
            preconditionFailure("the loader never returns a scenario without targets")
        }
        return await run(scenario, target: target, observers: observers)
    }

    /// Runs the scenario against one target.
    public func run(_ scenario: Scenario, target: ScenarioTarget, observers: Observers = Observers()) async -> ScenarioResult {
        let clock = environment.clock
        let record = RunRecord(clock: clock, observer: observers.observed)
        let startTime = clock.nanoseconds()
        var result = ScenarioResult(
            scenario: scenario,
            target: target,
            startDate: Date(),
            startTime: startTime,
            endTime: startTime,
            steps: [],
            entries: [],
            setupError: nil,
            secrets: scenario.secretValues
        )
        let session: RunSession
        do {
            session = try await RunSession.start(
                target: target,
                needsCloud: scenario.steps.needsCloud,
                faultedDevices: (scenario.steps + scenario.finallySteps).networkFaultDevices(among: target.devices.map(\.id)),
                provisioningDevices: (scenario.steps + scenario.finallySteps).provisioningDevices,
                environment: environment,
                record: record
            )
        } catch {
            result.setupError = ControlCharacterEscaping.escape("could not start the run: \(error)")
            result.endTime = clock.nanoseconds()
            result.steps = (scenario.steps + scenario.finallySteps).map { step in
                StepResult(step: step, status: .skipped(reason: "the run could not start"), startTime: startTime, endTime: startTime)
            }
            return result
        }
        result.secrets += session.secrets
        result.seed = environment.seed
        var state = RunState(cause: Cause(step: nil, time: startTime, index: 0))
        let context = StepContext(session: session, record: record, clock: clock)
        for step in scenario.steps {
            let stepResult = await context.run(step, iteration: nil, state: &state)
            result.steps.append(stepResult)
            observers.stepFinished(stepResult)
        }
        // The cleanup runs whatever happened: every step of it, even after one of it failed.
        state.firstFailure = nil
        state.notApplicable = nil
        state.isCleanup = true
        for step in scenario.finallySteps {
            let stepResult = await context.run(step, iteration: nil, state: &state)
            result.steps.append(stepResult)
            observers.stepFinished(stepResult)
        }
        result.endTime = clock.nanoseconds()
        result.entries = record.entries()
        // Secrets the run learned (keys devices provisioned with) and the packets carried (user
        // properties named like one), masked like the others.
        for secret in session.secrets + result.packetSecrets where !result.secrets.contains(secret) { result.secrets.append(secret) }
        await session.stop()
        return result
    }
}

/// What carries over from step to step.
struct RunState {
    var cause: Cause
    /// The first failed top-level step: later steps are skipped.
    var firstFailure: StepNumber?
    /// The step that made the rest not applicable, and why: later steps are skipped.
    var notApplicable: (step: StepNumber, reason: String)?
    /// Running the `finally:` part: a failure skips nothing.
    var isCleanup = false
    /// Where the observation that satisfied each top-level expectation is in the record
    /// (for `after:`).
    var matches: [StepNumber: Int] = [:]
    /// When the last action reached each fleet member it concerned (a fleet action's members
    /// start one after another): the member's expectations measure from there.
    var memberStarts: [DeviceID: UInt64] = [:]
}

/// Runs single steps and `repeat` blocks against a session.
struct StepContext: Sendable {
    let session: RunSession
    let record: RunRecord
    let clock: any MonotonicClock

    func run(_ step: Step, iteration: Int?, state: inout RunState) async -> StepResult {
        let start = clock.nanoseconds()
        if let failed = state.firstFailure {
            return StepResult(step: step, status: .skipped(reason: "step \(failed) failed"), startTime: start, endTime: start)
        }
        if let (earlier, reason) = state.notApplicable {
            return StepResult(step: step, status: .skippedAsNotApplicable(after: earlier, reason: reason), startTime: start, endTime: start)
        }
        let index = record.count
        record.append(.step(step.number, iteration: iteration), at: start)
        if step.isAction {
            state.cause = Cause(step: step.number, time: start, index: index)
            state.memberStarts = [:]
        }
        var result = StepResult(step: step, status: .passed, startTime: start, endTime: start)
        switch step.kind {
        case .expect(let expectation) where step.fleet != nil:
            let members = step.fleet.map(session.target.members(of:)) ?? []
            let evaluator = FleetExpectationEvaluator(record: record, deadlineScale: session.environment.deadlineScale)
            (result.status, result.fleet) = await evaluator.evaluate(expectation, members: members, cause: state.cause, memberStarts: state.memberStarts)
            result.causeStep = state.cause.step
        case .expect(let expectation):
            let evaluation = await ExpectationEvaluator(record: record, deadlineScale: session.environment.deadlineScale).evaluate(expectation, device: step.device, cause: state.cause, notBefore: expectation.after.flatMap { state.matches[$0] }.map { $0 + 1 })
            result.status = evaluation.status
            result.latency = evaluation.latency
            result.causeStep = state.cause.step
            if iteration == nil, let index = evaluation.matchIndex { state.matches[step.number] = index }
        case .repeatBlock(let block):
            let (status, outcome) = await runRepeat(block, state: &state)
            result.status = status
            result.repetition = outcome
        case .chaos(let block):
            let (status, outcome) = await runChaos(block, state: &state)
            result.status = status
            result.chaos = outcome
        default:
            if let selection = step.fleet {
                (result.status, result.fleet, state.memberStarts) = await runFleetAction(step, selection: selection)
            } else if case .provision(let spec) = step.kind, let id = step.device, let participant = session.participants[id] {
                let outcome = await session.provision(spec, participant: participant)
                (result.status, result.provisioning, result.latency) = (outcome.status, outcome.result, outcome.latency)
            } else {
                result.status = await session.perform(step)
            }
            state.cause.endTime = clock.nanoseconds()
            state.cause.endIndex = record.count
        }
        result.endTime = clock.nanoseconds()
        if case .errored(let message) = result.status {
            // Errors may quote a peer (a firmware's last words, a broker's answer).
            result.status = .errored(message: ControlCharacterEscaping.escape(message))
        }
        if iteration == nil, !state.isCleanup {
            switch result.status {
            case .failed, .errored: state.firstFailure = step.number
            case .notApplicable(let reason): state.notApplicable = (step.number, reason)
            case .passed, .skipped: break
            }
        }
        return result
    }

    private func runRepeat(_ block: RepeatBlock, state: inout RunState) async -> (StepStatus, RepeatOutcome) {
        var outcome = RepeatOutcome(iterationsPlanned: block.count, iterationsRun: 0, samples: [:], checks: [])
        for iteration in 1...block.count {
            for step in block.steps {
                let inner = await run(step, iteration: iteration, state: &state)
                if let latency = inner.latency, case .expect(let expectation) = step.kind, inner.status.isPassed {
                    outcome.samples["latency", default: []].append(latency)
                    outcome.samples["\(expectation.subject.name)_latency", default: []].append(latency)
                }
                switch inner.status {
                case .passed, .skipped:
                    continue
                case .notApplicable(let reason):
                    outcome.iterationsRun = iteration
                    return (.notApplicable(reason: "iteration \(iteration), step \(step.number): \(reason)"), outcome)
                case .failed(let failure):
                    outcome.iterationsRun = iteration
                    let failure = Failure(expected: "iteration \(iteration), step \(step.number) (\(step.title)): \(failure.expected)", observed: failure.observed)
                    return (.failed(failure), outcome)
                case .errored(let message):
                    outcome.iterationsRun = iteration
                    return (.errored(message: "iteration \(iteration), step \(step.number) (\(step.title)): \(message)"), outcome)
                }
            }
            outcome.iterationsRun = iteration
        }
        outcome.checks = block.thresholds.map { threshold in
            let value = outcome.statistic(threshold.statistic, of: threshold.metric)
            return RepeatOutcome.ThresholdCheck(threshold: threshold, value: value, isMet: value.map(threshold.isMet) ?? false)
        }
        let unmet = outcome.checks.filter { !$0.isMet }
        guard unmet.isEmpty else {
            let expected = unmet.map(\.threshold.description).joined(separator: ", ")
            let observed = unmet.map { check in
                "\(check.threshold.metric) \(check.threshold.statistic.rawValue) = " + (check.value.map(ScenarioDuration.formatMilliseconds) ?? "no samples")
            }.joined(separator: ", ")
            return (.failed(Failure(expected: expected, observed: "\(observed) over \(block.count) iterations")), outcome)
        }
        return (.passed, outcome)
    }
}
