import Foundation
import HarnessTestSupport
import NIOPosix
import Scenario
import Testing

/// How the runner carries out the conformance language against a real Mosquitto: the
/// `finally:` part after a failure, `one_of` branches that make a step not applicable,
/// `after:` ordering, and deadlines an earlier step used up.
@Suite(.serialized) struct ConformanceRunTests {
    let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton))

    func run(_ yaml: String, port: Int) async throws -> ScenarioResult {
        let text = yaml.replacingOccurrences(of: "@HUB@", with: "mqtt://127.0.0.1:\(port)")
        return await runner.run(try ScenarioLoader.load(yaml: text, path: "run.yaml"))
    }

    @Test("finally runs after a failure, every step of it, and discards the persistent session the failure left behind")
    func finallyAfterFailure() async throws {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        let yaml = """
            hub: "@HUB@"
            device: { id: conform-finally, kind: client }
            steps:
              - connect: { clean_session: false, keepalive: 60 }
              - subscribe: { topic: harness/finally, qos: 1 }
              - expect: { packet: PUBLISH, direction: to_device, within: 200ms }
              - disconnect: {}
            finally:
              - restart: {}
              - connect: { clean_session: true, keepalive: 60 }
              - disconnect: {}

            """
        let result = try await run(yaml, port: broker.port)
        #expect(result.steps.map { "\($0.step.number) \(Self.label($0.status))" } == ["1 passed", "2 passed", "3 failed", "4 skipped", "5 passed", "6 passed", "7 passed"])
        // No session is left: a clean session 0 connect now finds none (session present 0).
        let check = """
            hub: "@HUB@"
            device: { id: conform-finally, kind: client }
            steps:
              - connect: { clean_session: false, keepalive: 60 }
              - expect: { bytes: "20 02 00 00", within: 1s }
            finally:
              - restart: {}
              - connect: { clean_session: true, keepalive: 60 }
              - disconnect: {}

            """
        #expect(try await run(check, port: broker.port).isPassed)
    }

    @Test("a not_applicable branch makes the step not applicable and skips the rest (not the finally part), with the reason")
    func notApplicableBranch() async throws {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        // Mosquitto answers a level-4 CONNECT with CONNACK 0: the third branch.
        let yaml = """
            hub: "@HUB@"
            device: { id: raw-na, kind: client }
            steps:
              - send_bytes: "10 0f 00 04 4d 51 54 54 04 02 00 3c 00 03 72 2d 6e"
              - expect:
                  one_of:
                    - { bytes: "20 02 00 05" }
                    - { disconnected: true }
                    - { bytes: "20 02 00 00", not_applicable: "accepted" }
                  within: 1s
                statements: [MQTT-3.1.2-2]
              - expect: { disconnected: true, within: 1s }
                statements: [MQTT-3.2.2-5]
            finally:
              - restart: {}

            """
        let result = try await run(yaml, port: broker.port)
        #expect(result.isPassed)
        #expect(result.steps[1].status == .notApplicable(reason: "accepted"))
        #expect(result.steps[2].status == .skipped(reason: "not applicable after step 2: accepted"))
        #expect(result.steps[3].status == .passed)
        let verdicts = StatementVerdicts([result])
        #expect(verdicts.statements(.notApplicable) == ["MQTT-3.1.2-2", "MQTT-3.2.2-5"])
        // No branch observed and no fallback: a failure listing what each branch saw.
        let failing = yaml.replacingOccurrences(of: "\"20 02 00 00\", not_applicable: \"accepted\"", with: "\"20 02 00 03\"")
        let failed = try await run(failing, port: broker.port)
        guard case .failed(let failure) = failed.steps[1].status else {
            Issue.record("not failed: \(failed.steps[1].status)")
            return
        }
        #expect(failure.observed.contains("bytes 20 02 00 05: received 20 02 00 00"), "\(failure)")
        #expect(failure.observed.contains("disconnected: the connection was still open"), "\(failure)")
        #expect(StatementVerdicts([failed]).statements(.failed) == ["MQTT-3.1.2-2"])
        #expect(StatementVerdicts([failed]).statements(.notReached) == ["MQTT-3.2.2-5"])
    }

    @Test("after: N passes for messages in order and fails, saying so, for a message that came before step N's")
    func ordering() async throws {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        // Both PUBLISHes (QoS 0, harness/after) in one write, so the broker has both at once.
        let one = "30 12 00 0d 68 61 72 6e 65 73 73 2f 61 66 74 65 72 6f 6e 65"
        let two = "30 12 00 0d 68 61 72 6e 65 73 73 2f 61 66 74 65 72 74 77 6f"
        func yaml(_ first: String, _ second: String) -> String {
            """
            hub: "@HUB@"
            devices:
              - { id: conform-after, kind: client }
              - { id: conform-after-sender, kind: client }
            steps:
              - { device: conform-after, connect: { clean_session: true, keepalive: 60 } }
              - { device: conform-after, subscribe: { topic: harness/after, qos: 1 } }
              - { device: conform-after-sender, connect: { clean_session: true, keepalive: 60 } }
              - { device: conform-after-sender, send_bytes: "\(first == "one" ? one : two) \(second == "two" ? two : one)" }
              - { device: conform-after, expect: { packet: PUBLISH, direction: to_device, payload: "one", within: 1s } }
              - { device: conform-after, expect: { packet: PUBLISH, direction: to_device, payload: "two", after: 5, within: 300ms } }
            finally:
              - { device: conform-after, disconnect: {} }
              - { device: conform-after-sender, disconnect: {} }

            """
        }
        #expect(try await run(yaml("one", "two"), port: broker.port).isPassed)
        let reversed = try await run(yaml("two", "one"), port: broker.port)
        guard case .failed(let failure) = reversed.steps[5].status else {
            Issue.record("not failed: \(reversed.steps[5].status)")
            return
        }
        #expect(failure.expected.contains("after step 5's match"), "\(failure)")
        #expect(failure.observed.contains("before the observation of step 5: out of order"), "\(failure)")
    }

    @Test("a deadline earlier steps used up says so, with the time since the cause, not a wait of no time")
    func deadlineUsedUp() async throws {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        let yaml = """
            hub: "@HUB@"
            device: { id: raw-late, kind: client }
            steps:
              - send_bytes: "10 0f 00 04 4d 51 54 54 04 02 00 3c 00 03 72 2d 6c"
              - expect: { bytes: "20 02 00 00", exact: true, within: 400ms }
              - expect: { disconnected: true, within: 300ms }
            finally:
              - restart: {}

            """
        let result = try await run(yaml, port: broker.port)
        guard case .failed(let failure) = result.steps[2].status else {
            Issue.record("not failed: \(result.steps[2].status)")
            return
        }
        #expect(failure.observed.hasPrefix("the connection was still open 300.0ms after step 1"), "\(failure)")
        #expect(failure.observed.contains("(this step began 4"), "\(failure)")
        #expect(failure.observed.contains("after step 1, when its deadline had already passed)"), "\(failure)")
    }

    @Test("the pack's MQTT-3.1.2-16 check fails for a will published retained, and finally leaves no retained message on the will topic")
    func willRetained() async throws {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        let file = ScenarioLoaderTests.repositoryRoot.appendingPathComponent("scenarios/conformance/mqtt-3.1.1/will.yaml").path
        let pack = try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: "${MQTT_URL:-mqtt://127.0.0.1:1883}", with: "@HUB@")
        #expect(try await run(pack, port: broker.port).isPassed)
        // The same scenario with Will Retain 1: Mosquitto publishes the will retained.
        let retained = pack.replacingOccurrences(of: "qos: 1, retain: false }", with: "qos: 1, retain: true }")
        #expect(retained != pack)
        let result = try await run(retained, port: broker.port)
        let verdicts = StatementVerdicts([result])
        #expect(verdicts.statements(.failed) == ["MQTT-3.1.2-16"], "\(result.steps.map { "\($0.step.number) \($0.status)" })")
        #expect(verdicts.statements(.passed).contains("MQTT-3.1.2-8"))
        let failing = try #require(verdicts.rows.first { $0.statement == "MQTT-3.1.2-16" }?.steps.first)
        #expect(failing.reason?.contains("retain=1 topic=harness/conform/will payload=\"gone\"") == true, "\(failing.reason ?? "")")
        // The finally part cleared the retained will: a new subscriber gets nothing.
        let check = """
            hub: "@HUB@"
            device: { id: conform-will-check, kind: client }
            steps:
              - connect: { clean_session: true, keepalive: 60 }
              - subscribe: { topic: harness/conform/will, qos: 1 }
              - expect: { packet: PUBLISH, direction: to_device, topic: harness/conform/will, for: 500ms }
            finally:
              - disconnect: {}

            """
        #expect(try await run(check, port: broker.port).isPassed)
    }

    static func label(_ status: StepStatus) -> String {
        switch status {
        case .passed: "passed"
        case .failed: "failed"
        case .errored: "errored"
        case .skipped: "skipped"
        case .notApplicable: "n/a"
        }
    }
}
