import Devices
import Foundation
import IoTHubCore
import IoTHubSimulation
import MQTTCore
import NIOCore

/// Runs scenarios: starts the simulated hub and the device, carries out the steps in order
/// with their deadlines, and records everything on one timeline.
public struct ScenarioRunner: Sendable {
    public var environment: RunEnvironment

    public init(environment: RunEnvironment) {
        self.environment = environment
    }

    /// The action an expectation measures from.
    struct Cause {
        var step: Int
        var time: UInt64
        var index: Int
    }

    /// Runs one scenario.
    /// - Parameter onStep: called as each step finishes, for live console output.
    public func run(_ scenario: Scenario, onStep: @Sendable (StepResult) -> Void = { _ in }) async -> ScenarioResult {
        let clock = environment.clock
        let timeline = Timeline(clock: clock)
        let startDate = Date()
        let startTime = clock.nanoseconds()
        var result = ScenarioResult(
            scenario: scenario,
            startDate: startDate,
            startTime: startTime,
            endTime: startTime,
            steps: [],
            timeline: [],
            setupError: nil
        )
        let session: RunSession
        do {
            session = try await RunSession.start(scenario: scenario, environment: environment, timeline: timeline)
        } catch {
            result.setupError = "could not start the run: \(error)"
            result.endTime = clock.nanoseconds()
            result.steps = scenario.steps.map { step in
                StepResult(step: step, status: .skipped(reason: "the run could not start"), startTime: startTime, endTime: startTime)
            }
            return result
        }
        result.secrets = session.secrets

        var cause = Cause(step: 0, time: startTime, index: 0)
        var firstFailure: Int?
        for step in scenario.steps {
            let stepStart = clock.nanoseconds()
            if let failed = firstFailure {
                let skipped = StepResult(step: step, status: .skipped(reason: "step \(failed) failed"), startTime: stepStart, endTime: stepStart)
                result.steps.append(skipped)
                onStep(skipped)
                continue
            }
            let index = timeline.count
            timeline.append(.stepStarted(number: step.number), at: stepStart)
            if step.isAction { cause = Cause(step: step.number, time: stepStart, index: index) }
            var stepResult = StepResult(step: step, status: .passed, startTime: stepStart, endTime: stepStart)
            switch step.kind {
            case .expect(let expectation):
                let evaluation = await ExpectationEvaluator(timeline: timeline, deviceID: scenario.device.id)
                    .evaluate(expectation, cause: cause)
                stepResult.status = evaluation.status
                stepResult.latency = evaluation.latency
                stepResult.causeStep = cause.step
            default:
                stepResult.status = await session.perform(step.kind)
            }
            stepResult.endTime = clock.nanoseconds()
            if !stepResult.status.isPassed { firstFailure = step.number }
            result.steps.append(stepResult)
            onStep(stepResult)
        }
        result.endTime = clock.nanoseconds()
        result.timeline = timeline.entries()
        await session.stop()
        return result
    }
}
