import Devices
import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
@testable import Scenario
import Testing

/// The evaluator on a hand-made timeline: no sockets, no waiting.
@Suite struct ExpectationEvaluatorTests {

    /// A timeline with these observations at times 100, 200, ...
    func timeline(_ observations: [Observation]) -> Timeline {
        let timeline = Timeline(clock: ManualMonotonicClock(start: 10_000_000_000))
        for (offset, observation) in observations.enumerated() { timeline.append(observation, at: UInt64(100 * (offset + 1))) }
        return timeline
    }

    @Test("a reconnect that came before the step preceding the expectation still counts, measured from the drop")
    func reconnectBeforeTheCause() async throws {
        let device = try DeviceID("esp8266")
        let fast = timeline([
            .hub(.disconnected(device, connection: 1, reason: .tokenExpired)),
            .hub(.connected(device, connection: 2, cleanSession: false, sessionPresent: true, keepAlive: 60)),
            .stepStarted(number: StepNumber(6), iteration: nil),
        ])
        let evaluator = ExpectationEvaluator(timeline: fast, selfObserving: [])
        let expectation = Expectation(subject: .reconnected(true), deadline: .within(.milliseconds(1)))
        let passed = await evaluator.evaluate(expectation, device: device, cause: Cause(step: StepNumber(6), time: 300, index: 2))
        #expect(passed.status == .passed)
        #expect(passed.latency == .nanoseconds(100))
        // Without a drop before the step, an earlier connection is no reconnect.
        let connectedOnly = timeline([
            .hub(.connected(device, connection: 1, cleanSession: false, sessionPresent: false, keepAlive: 60)),
            .stepStarted(number: StepNumber(6), iteration: nil),
        ])
        let failed = await ExpectationEvaluator(timeline: connectedOnly, selfObserving: []).evaluate(
            expectation, device: device, cause: Cause(step: StepNumber(6), time: 200, index: 1)
        )
        #expect(failed.status.isPassed == false)
    }
}
