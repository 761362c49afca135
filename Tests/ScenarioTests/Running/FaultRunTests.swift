import Foundation
import IoTHubCore
import NIOPosix
import Reporting
@testable import Scenario
import Testing

/// Faults on a run: their life on the record and in every report, and chaos blocks that a
/// seed replays.
@Suite struct FaultRunTests {
    let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, deadlineScale: 10, seed: 42))

    @Test("a fault's start, effect and heal are on the record, in trace.jsonl, the JUnit system-out and the HTML diagram")
    func faultEventsInEveryReport() async throws {
        let scenario = try ScenarioLoader.load(yaml: """
            device: { id: esp8266, profile: umqtt-robust }
            steps:
              - connect: { clean_session: false, keepalive: 60 }
              - expect: { connack: accepted, within: 1s }
              - fault: { kind: drop }
              - expect: { reconnected: true, within: 5s }
              - fault: { kind: blackhole, for: 100ms }
              - wait: 1s
            """, path: "faults.yaml")
        let result = await runner.run(scenario)
        #expect(result.isPassed, "\(result.steps.map { "\($0.step.number) \($0.status)" })")
        let faults = result.entries.compactMap { entry -> FaultEvent? in
            if case .fault(let fault) = entry.event { return fault }
            return nil
        }
        // A missing heal must fail the test, not crash the run of every test with it.
        try #require(faults.map(\.phase) == [.effect, .started, .started, .healed])
        #expect(faults[1].detail == "reset 1 connection")
        // Healed no earlier than its time (later on a loaded machine).
        #expect(faults[3].detail.hasPrefix("its 100ms are up, after "))
        let lasted = Double(faults[3].detail.dropFirst("its 100ms are up, after ".count).prefix { $0 != " " }) ?? 0
        #expect(lasted >= 0.1, "\(faults[3].detail)")
        let trace = result.makeTraceRecords().filter { $0.kind == "fault" }
        #expect(trace.map { $0.type ?? "" } == ["fault_effect", "fault_started", "fault_started", "fault_healed"])
        #expect(trace[1].fields["fault"] == "drop" && trace[1].device == "esp8266")
        let junit = JUnitXMLWriter().render(JUnitReport(suites: [result.makeTestSuite()]))
        #expect(junit.contains("fault drop esp8266 started: reset 1 connection"))
        #expect(junit.contains("fault blackhole esp8266 healed: its 100ms are up"))
        #expect(junit.contains("<property name=\"seed\" value=\"42\""))
        let html = HTMLReportWriter().render(result.makeHTMLReport())
        #expect(html.contains("⚡ fault blackhole esp8266 started"))
    }

    @Test("a chaos block with a seed strikes the same faults in the same order every run, and says so")
    func chaosIsReplayable() async throws {
        let yaml = """
            device: { id: esp8266, profile: umqtt-robust }
            steps:
              - connect: { clean_session: false, keepalive: 60 }
              - subscribe: { topic: devices/esp8266/messages/devicebound/#, qos: 1 }
              - chaos: { for: 1500ms, every: 100ms..300ms, faults: [{ kind: drop }, { kind: delay, delay: 20ms, for: 200ms }, { kind: restart, for: 100ms }], invariants: [delivered, { reconnected_within: 5s }], seed: 9 }
                steps:
                  - send: "on"
                  - wait: 100ms
            """
        let first = await runner.run(try ScenarioLoader.load(yaml: yaml, path: "chaos.yaml"))
        let second = await runner.run(try ScenarioLoader.load(yaml: yaml, path: "chaos.yaml"))
        #expect(first.isPassed, "\(first.steps.map { "\($0.step.number) \($0.status)" })")
        let strikes = try #require(first.steps.last?.chaos?.strikes)
        // 1.5 s of strikes every 100-300 ms: at least 5 on an idle machine, fewer when a loaded
        // one stretches the iterations; two are enough to compare an order.
        #expect(strikes.count >= 2)
        // The same seed: the same faults in the same order (the second run may fit one more or less).
        let again = try #require(second.steps.last?.chaos?.strikes)
        let common = max(1, min(strikes.count, again.count) - 1)
        #expect(Array(strikes.prefix(common)) == Array(again.prefix(common)))
        #expect(first.steps.last?.chaos?.seed == 9)
        #expect(ScenarioResult.describe(try #require(first.steps.last?.chaos)).hasPrefix("seed 9: "))
    }

    @Test("a chaos block whose invariant breaks fails, names what broke and how to replay it")
    func chaosFailureSaysHowToReplay() async throws {
        let scenario = try ScenarioLoader.load(yaml: """
            device: { id: esp8266, profile: umqtt-simple }
            steps:
              - connect: { clean_session: false, keepalive: 60 }
              - chaos: { for: 1500ms, every: 100ms..200ms, faults: [{ kind: drop }], invariants: [{ reconnected_within: 200ms }], seed: 5 }
                steps:
                  - wait: 100ms
            """, path: "chaos.yaml")
        let result = await runner.run(scenario)
        guard case .failed(let failure) = result.steps.last?.status else {
            Issue.record("the chaos block did not fail: \(String(describing: result.steps.last?.status))")
            return
        }
        // umqtt.simple never reconnects.
        #expect(failure.observed.contains("esp8266 dropped at +"))
        #expect(failure.observed.contains("reconnected not at all, not within 200ms"))
        #expect(failure.observed.hasSuffix("; replay with --seed 5"))
    }
}
