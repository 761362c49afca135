import Devices
import HarnessTestSupport
import IoTHubCore
@testable import Scenario
import Testing

/// The evaluator on a hand-made record: no sockets, no waiting.
@Suite struct ExpectationEvaluatorTests {

    /// A record with these events at times 100, 200, ...
    func record(_ events: [RunEvent]) -> RunRecord {
        let record = RunRecord(clock: ManualMonotonicClock(start: 10_000_000_000))
        for (offset, event) in events.enumerated() { record.append(event, at: UInt64(100 * (offset + 1))) }
        return record
    }

    @Test("a reconnect that came before the step preceding the expectation still counts, measured from the drop")
    func reconnectBeforeTheCause() async throws {
        let device = try DeviceID("esp8266")
        let fast = record([
            .cloud(.disconnected(device, connection: 1, kind: .tokenExpired, detail: "SAS token expired")),
            .cloud(.connected(device, connection: 2, cleanSession: false, sessionPresent: true, keepAlive: 60)),
            .step(StepNumber(6), iteration: nil),
        ])
        let evaluator = ExpectationEvaluator(record: fast)
        let expectation = Expectation(subject: .reconnected(true), deadline: .within(.milliseconds(1)))
        let passed = await evaluator.evaluate(expectation, device: device, cause: Cause(step: StepNumber(6), time: 300, index: 2))
        #expect(passed.status == .passed)
        #expect(passed.latency == .nanoseconds(100))
        // Without a drop before the step, an earlier connection is no reconnect.
        let connectedOnly = record([
            .cloud(.connected(device, connection: 1, cleanSession: false, sessionPresent: false, keepAlive: 60)),
            .step(StepNumber(6), iteration: nil),
        ])
        let failed = await ExpectationEvaluator(record: connectedOnly).evaluate(
            expectation, device: device, cause: Cause(step: StepNumber(6), time: 200, index: 1)
        )
        #expect(failed.status.isPassed == false)
    }
}
