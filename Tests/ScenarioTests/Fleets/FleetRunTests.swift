import Foundation
import HarnessTestSupport
import IoTHubCore
import NIOPosix
import Reporting
@testable import Scenario
import Testing

/// Fleets on the simulated hub: every member connects, subscribes and gets its message; a
/// failure names the members that missed; reconnect storms; the reports carry the percentiles.
@Suite struct FleetRunTests {
    let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, deadlineScale: 10, seed: 42))

    /// `1 passed`, `4 failed(...)`: each step's outcome in a few words.
    static func outcomes(_ result: ScenarioResult) -> [String] {
        result.steps.map { step in
            if case .passed = step.status { return "\(step.step.number) passed" }
            return "\(step.step.number) \(step.status)"
        }
    }

    static let fleet = """
        hub: simulated
        fleet:
          name: sensors
          id: "sensor-${index:02}"
          count: 30
          profile: umqtt-robust
          connect_rate: 300/s
        """

    @Test("every member connects at the fleet's rate, subscribes to its own topic and switches its LED; JUnit and histograms carry the percentiles")
    func c2dToEveryMember() async throws {
        let scenario = try ScenarioLoader.load(yaml: Self.fleet + """

            steps:
              - connect: { clean_session: false, keepalive: 60 }
              - expect: { connack: accepted, devices: all, within: 5s }
              - subscribe: devices/${device}/messages/devicebound/#
              - send: "on"
              - expect: { led: on, devices: all, within: 2s }
              - expect: { delivered: all, within: 2s }
            """, path: "fleet.yaml")
        let result = await runner.run(scenario)
        #expect(Self.outcomes(result).allSatisfy { $0.hasSuffix("passed") }, "\(Self.outcomes(result))")
        let connect = try #require(result.steps[0].fleet)
        #expect(connect.selected == 30 && connect.passed == 30 && connect.latencies.count == 30)
        // 300 connects per second with the pacer's burst of 3 (ConnectPacer.defaultBurst: 10 ms
        // of connects at once): the first three start together, the last no earlier than
        // 27/300 s after the first. (A bound of 29/300 s counted on the last connect taking at
        // least 6 ms, which a loaded machine did not always give.)
        let starts = result.steps[0].startTime
        #expect(result.steps[0].endTime - starts >= 90_000_000)
        let led = try #require(result.steps[4].fleet)
        #expect(led.passed == 30 && led.latencies.count == 30 && led.missedCount == 0)
        #expect(result.steps[5].fleet?.passed == 30)
        let suite = result.makeTestSuite()
        let properties = Dictionary(suite.properties.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        #expect(properties["fleet.step-05.count"] == "30" && properties["fleet.step-05.passed"] == "30")
        for name in ["p50", "p90", "p99", "p99_9", "max"] { #expect(properties["fleet.step-05.\(name).ms"] != nil, "\(name)") }
        #expect(properties["fleet.sensors.members"] == "0..<30")
        #expect(suite.testCases[4].name == "05 expect led on within 2s (all devices) [sensors]")
        try await JUnitSchema.validate(xml: JUnitXMLWriter().render(JUnitReport(suites: [suite])))
        #expect(result.makeLatencyHistograms().metrics["step-05.latency"]?.count == 30)
        // A fleet's packets are not recorded, and no member's key reaches the reports.
        #expect(!result.entries.contains { if case .packet = $0.event { true } else { false } })
    }

    @Test("a member that misses fails the step: how many missed, the first ten by id, and what each observed")
    func missesAreNamed() async throws {
        let scenario = try ScenarioLoader.load(yaml: Self.fleet + """

            steps:
              - connect: {}
              - subscribe: devices/${device}/messages/devicebound/#
                device: sensors[0..14]
              - send: "on"
              - expect: { led: on, within: 500ms }
            """, path: "fleet.yaml")
        let result = await runner.run(scenario)
        guard case .failed(let failure) = result.steps[3].status else {
            Issue.record("step 4: \(result.steps[3].status)")
            return
        }
        let fleet = try #require(result.steps[3].fleet)
        #expect(fleet.passed == 15 && fleet.missedCount == 15)
        #expect(fleet.misses.map(\.device.string) == (15..<25).map { "sensor-\($0)" })
        #expect(failure.observed.hasPrefix("15 of 30 devices missed it, 15 passed: sensor-15 (LED stayed off; 0 messages reached the device), sensor-16 ("), "\(failure.observed)")
        #expect(failure.observed.hasSuffix("sensor-24 (LED stayed off; 0 messages reached the device) and 5 more"), "\(failure.observed)")
        // With 50 % needed, the same run passes.
        let half = try ScenarioLoader.load(yaml: Self.fleet + """

            steps:
              - connect: {}
              - subscribe: devices/${device}/messages/devicebound/#
                device: sensors[0..14]
              - send: "on"
              - expect: { led: on, devices: 50%, within: 500ms }
            """, path: "fleet.yaml")
        let passed = await runner.run(half)
        #expect(Self.outcomes(passed).allSatisfy { $0.hasSuffix("passed") }, "\(Self.outcomes(passed))")
    }

    @Test("a reconnect storm: the hub restarts and every umqtt.robust member is back within the deadline, measured from its own drop")
    func reconnectStorm() async throws {
        let scenario = try ScenarioLoader.load(yaml: Self.fleet + """

            steps:
              - connect: { clean_session: false, keepalive: 60 }
              - fault: { kind: restart, for: 500ms }
              - expect: { reconnected: all, within: 20s }
              - send: "on"
              - expect: { disconnected: false, for: 300ms }
            """, path: "fleet.yaml")
        let result = await runner.run(scenario)
        #expect(Self.outcomes(result).allSatisfy { $0.hasSuffix("passed") }, "\(Self.outcomes(result))")
        let storm = try #require(result.steps[2].fleet)
        #expect(storm.passed == 30)
        // Each latency is from that member's drop, so it covers the restart's 500 ms.
        #expect((storm.latencies.value(atPercentile: 0) ?? 0) >= 400_000_000)
    }

    @Test("a selection none of whose members runs on this shard passes and says why")
    func emptyShard() async throws {
        var options = LoadOptions()
        options.shard = LoadOptions.Shard(index: 2, count: 2)
        let scenario = try ScenarioLoader.load(yaml: Self.fleet + """

            steps:
              - connect: {}
                device: sensors[0..4]
              - expect: { connack: accepted, within: 1s }
                device: sensors[0..4]
            """, path: "fleet.yaml", options: options)
        let result = await runner.run(scenario)
        #expect(Self.outcomes(result).allSatisfy { $0.hasSuffix("passed") })
        #expect(result.steps.allSatisfy { $0.fleet?.note?.contains("another shard holds them") == true })
    }
}
