import Foundation
import NIOPosix
import Reporting
import Scenario
import Testing

/// Every expectation subject against the real simulated hub and device, passing and failing.
@Suite struct ExpectationTests {
    /// Deadlines scaled x5: these tests check outcomes on a machine shared with heavier tests.
    let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, deadlineScale: 5))

    func run(_ yaml: String) async throws -> ScenarioResult {
        await runner.run(try ScenarioLoader.load(yaml: yaml, path: "test.yaml"))
    }

    func failure(_ result: ScenarioResult, step: Int) -> Failure? {
        guard case .failed(let failure) = result.steps[step - 1].status else {
            Issue.record("step \(step) did not fail: \(result.steps[step - 1].status)")
            return nil
        }
        return failure
    }

    static let connected = """
        device: { id: esp8266 }
        steps:
          - connect: { clean_session: false, keepalive: 60 }
          - subscribe: { topic: "devices/esp8266/messages/devicebound/#", qos: 1 }

        """

    @Test("packet: QoS 1 C2D arrives as PUBLISH to the device, then PUBACK goes to the hub; no PINGREQ is ever sent")
    func packets() async throws {
        let result = try await run(Self.connected + """
              - send: "on"
              - expect: { packet: PUBLISH, direction: to_device, qos: 1, dup: false, payload: "on", topic: "devices/esp8266/messages/devicebound/#", within: 500ms }
              - expect: { packet: PUBACK, direction: to_hub, within: 500ms }
              - expect: { packet: PINGREQ, for: 50ms }
              - expect: { packet: PUBLISH, direction: to_device, qos: 0, within: 50ms }
            """)
        #expect(result.steps.prefix(6).allSatisfy { $0.status.isPassed }, "\(result.steps.map(\.status))")
        let observed = failure(result, step: 7)?.observed ?? ""
        #expect(observed.contains("other PUBLISHs: PUBLISH to_device id=1 qos=1"), "\(observed)")
    }

    @Test("telemetry: payload and properties must match")
    func telemetry() async throws {
        let result = try await run(Self.connected + """
              - publish: { payload: "21", properties: { unit: C } }
              - expect: { telemetry: "21", properties: { unit: C }, within: 500ms }
              - publish: "22"
              - expect: { telemetry: "99", within: 100ms }
            """)
        #expect(result.steps[3].status.isPassed)
        #expect(failure(result, step: 6)?.observed.contains("telemetry \"22\"") == true)
    }

    @Test("expire_token: the hub drops the device at once, the umqtt firmware stops, a later C2D waits in the queue")
    func tokenExpiry() async throws {
        let result = try await run(Self.connected + """
              - expire_token: {}
              - expect: { disconnected: true, reason: token_expired, within: 1s }
              - send: "on"
              - expect: { queued: 1, within: 500ms }
              - expect: { led: off, for: 200ms }
              - expect: { reconnected: false, for: 100ms }
            """)
        #expect(result.isPassed, "\(result.steps.map { "\($0.step.number) \($0.status)" })")
        // The drop is immediate although the token had an hour left: the clock jumped.
        #expect(try #require(result.steps[3].latency) < .seconds(30))
    }

    @Test("disconnected with the wrong reason fails and names the real one")
    func wrongReason() async throws {
        let result = try await run(Self.connected + """
              - advance_clock: 91s
              - expect: { disconnected: true, reason: token_expired, within: 1s }
            """)
        #expect(failure(result, step: 4)?.observed.contains("keep-alive timeout") == true)
    }

    @Test("restart and reconnect: the device comes back and the queued message is delivered")
    func restartAndReconnect() async throws {
        let result = try await run(Self.connected + """
              - restart: {}
              - expect: { disconnected: true, within: 1s }
              - send: "on"
              - expect: { queued: 1, within: 1s }
              - connect: { clean_session: false, keepalive: 60 }
              - expect: { reconnected: true, within: 1s }
              - expect: { led: on, within: 1s }
              - expect: { queued: 0, within: 1s }
            """)
        #expect(result.isPassed, "\(result.steps.map { "\($0.step.number) \($0.status)" })")
    }

    @Test("queued for: the depth must not change")
    func queuedFor() async throws {
        let result = try await run("""
            device: { id: esp8266 }
            steps:
              - send: "a"
              - expect: { queued: 1, for: 50ms }
              - send: "b"
              - expect: { queued: 1, for: 50ms }
            """)
        #expect(result.steps[1].status.isPassed)
        #expect(failure(result, step: 4)?.observed.contains("queue depth was 2") == true)
    }

    @Test("repeat: thresholds met pass with statistics; an impossible threshold fails the block")
    func repeatThresholds() async throws {
        let passing = try await run(Self.connected + """
              - repeat: 20
                steps:
                  - send: "on"
                  - expect: { led: on, within: 500ms }
                thresholds:
                  led_latency: { p50: "< 500ms", max: "< 1s" }
            """)
        let outcome = try #require(passing.steps[2].repetition)
        #expect(passing.steps[2].status.isPassed)
        #expect(outcome.iterationsRun == 20)
        #expect(outcome.samples["led_latency"]?.count == 20)
        #expect(try #require(outcome.statistic(.p50, of: "led_latency")) <= outcome.statistic(.max, of: "led_latency") ?? .zero)
        #expect(outcome.checks.allSatisfy { $0.isMet })

        let failing = try await run(Self.connected + """
              - repeat: 5
                steps:
                  - send: "on"
                  - expect: { led: on, within: 500ms }
                thresholds:
                  led_latency: { p99: "< 1ns" }
              - send: "off"
            """)
        let failure = try #require(self.failure(failing, step: 3))
        #expect(failure.expected == "led_latency p99 < 1ns")
        #expect(failure.observed.hasPrefix("led_latency p99 = "))
        #expect(failing.steps[3].status == .skipped(reason: "step 3 failed"))
    }

    @Test("a failing iteration stops the block and says which")
    func repeatIterationFailure() async throws {
        let result = try await run(Self.connected + """
              - repeat: 3
                steps:
                  - send: "off"
                  - expect: { led: on, within: 50ms }
            """)
        let failure = try #require(self.failure(result, step: 3))
        #expect(failure.expected.hasPrefix("iteration 1, step 3.2 (expect led on within 50ms)"))
        #expect(result.steps[2].repetition?.iterationsRun == 1)
    }

    @Test("pin and output expectations wait for events a simulated device never produces, and say so")
    func pinAndOutput() async throws {
        let result = try await run(Self.connected + """
              - expect: { pin: 2, value: 1, within: 30ms }
            """)
        #expect(failure(result, step: 3)?.observed.contains("pin stayed 0") == true)
    }

    @Test("two devices: expectations observe only their own device")
    func twoDevices() async throws {
        let result = try await run("""
            devices: [{ id: a }, { id: b }]
            steps:
              - { connect: {}, device: a }
              - { connect: {}, device: b }
              - { subscribe: "devices/a/messages/devicebound/#", device: a }
              - { subscribe: "devices/b/messages/devicebound/#", device: b }
              - { send: "on", device: b }
              - { expect: { led: on, within: 100ms }, device: a }
            """)
        #expect(failure(result, step: 6)?.observed.contains("0 messages reached the device") == true)
        let suite = result.makeTestSuite()
        #expect(suite.testCases[5].name == "06 expect led on within 100ms [a]")
        #expect(suite.properties.contains { $0.name == "device.b.profile" })
    }

    @Test("several targets give one result each, under their own names")
    func severalTargets() async throws {
        let scenario = try ScenarioLoader.load(yaml: """
            device: { id: d }
            targets: [{ name: one, hub: simulated }, { name: two, hub: { kind: simulated, hostname: two.azure-devices.net } }]
            steps:
              - connect: {}
              - expect: { connack: accepted, within: 1s }
            """, path: "targets.yaml")
        var names: [String] = []
        for target in scenario.targets {
            let result = await runner.run(scenario, target: target)
            #expect(result.isPassed)
            names.append(result.suiteName)
        }
        #expect(names == ["targets [one]", "targets [two]"])
    }
}
