import Foundation
import HarnessTestSupport
import NIOPosix
import Reporting
import Scenario
import Testing

/// MQTT 5.0 scenarios run against a real Mosquitto 2.0 started on a free loopback port: the
/// shipped request/response example, refusals judged by expectations, a raw 5.0 CONNECT, the
/// broker's DISCONNECT, will properties; and each can fail.
@Suite(.serialized) struct MQTT5RunTests {
    let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, deadlineScale: 5))

    static let example = ScenarioLoaderTests.repositoryRoot.appendingPathComponent("scenarios/examples/mqtt5/mqtt5-request-response.yaml").path

    func summary(_ result: ScenarioResult) -> String {
        let steps = result.steps.map { "\($0.step.number) \($0.step.title): \($0.status)" }
        return ((result.setupError.map { ["setup: \($0)"] } ?? []) + steps).joined(separator: "\n")
    }

    func run(_ yaml: String, on broker: Mosquitto) async throws -> ScenarioResult {
        let scenario = try ScenarioLoader.load(yaml: yaml, path: "v5-run.yaml", options: LoadOptions(hubOverride: "mqtt://127.0.0.1:\(broker.port)"))
        return await runner.run(scenario)
    }

    /// The failure of step `number`, or an issue.
    func failure(_ result: ScenarioResult, step number: Int) -> Failure? {
        guard let step = result.steps.first(where: { $0.step.number == StepNumber(number) }) else {
            Issue.record("no step \(number): \(summary(result))")
            return nil
        }
        if case .failed(let failure) = step.status { return failure }
        Issue.record("step \(number) did not fail: \(summary(result))")
        return nil
    }

    @Test("the shipped request/response example passes against Mosquitto, and its trace shows the 5.0 properties")
    func example() async throws {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        let scenario = try ScenarioLoader.load(path: Self.example, options: LoadOptions(hubOverride: "mqtt://127.0.0.1:\(broker.port)"))
        let result = await runner.run(scenario)
        #expect(result.isPassed == true, "\(summary(result))\n\(broker.log)")
        let trace = result.makeTestSuite(hostname: "test").systemOut
        #expect(trace.contains("response_topic=harness/example/mqtt5/resp/requester"), "\(trace)")
        #expect(trace.contains("subscription_identifier=22"), "\(trace)")
    }

    @Test("the example fails when the response does not carry the request's correlation data")
    func exampleCanFail() async throws {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        var text = try String(contentsOfFile: Self.example, encoding: .utf8)
        // The responder answers with other correlation data than the request's.
        text = text.replacingOccurrences(of: #"properties: { correlation_data: { hex: "a1 b2 c3" }, user: { unit: celsius } }"#, with: #"properties: { correlation_data: { hex: "ff" }, user: { unit: celsius } }"#)
        let result = try await run(text, on: broker)
        let failure = failure(result, step: 11)
        #expect(failure?.observed.contains("without correlation_data=hex a1 b2 c3 (the packet has correlation_data=hex ff)") == true, "\(summary(result))")
        #expect(result.steps.prefix(10).allSatisfy { $0.status == .passed }, "\(summary(result))")
    }

    @Test("a raw MQTT 5.0 CONNECT is recorded as 5.0: the CONNACK's reason and properties are judged; a wrong reason fails saying what came")
    func rawConnect() async throws {
        let broker = try await Mosquitto.start(options: ["max_inflight_messages 7"])
        defer { broker.stop() }
        // CONNECT, protocol level 5, clean start, keep-alive 60, no properties, client id "raw5".
        let connect = "10 11 00 04 4d 51 54 54 05 02 00 3c 00 00 04 72 61 77 35"
        let passing = try await run("""
            devices: [{ id: raw5, kind: client }]
            steps:
              - send_bytes: "\(connect)"
              - expect: { connack: { reason: success, session_present: false, properties: { receive_maximum: 7 } }, within: 2s }
            """, on: broker)
        #expect(passing.isPassed == true, "\(summary(passing))\n\(broker.log)")
        let failing = try await run("""
            devices: [{ id: raw5, kind: client }]
            steps:
              - send_bytes: "\(connect)"
              - expect: { connack: { reason: not_authorized }, within: 2s }
            """, on: broker)
        #expect(failure(failing, step: 2)?.observed.hasPrefix("CONNACK arrived with reason success (0x00), expected not_authorized (0x87) after ") == true, "\(summary(failing))")
    }

    @Test("a refused CONNECT is left to the expectation that judges it; without one the connect step fails with the broker's reason")
    func refusedConnect() async throws {
        let broker = try await Mosquitto.start(users: ["alice": "secret"])
        defer { broker.stop() }
        let judged = try await run("""
            devices: [{ id: c5, kind: client, protocol: 5, username: alice, password: wrong }]
            steps:
              - connect: {}
              - expect: { connack: { reason: not_authorized }, within: 2s }
            """, on: broker)
        #expect(judged.isPassed == true, "\(summary(judged))\n\(broker.log)")
        // The 3.1.1 form judges the CONNACK too: 0x87 is 3.1.1's return code 5.
        let judged311 = try await run("""
            devices: [{ id: c5, kind: client, protocol: 5, username: alice, password: wrong }]
            steps:
              - connect: {}
              - expect: { connack: not_authorized, within: 2s }
            """, on: broker)
        #expect(judged311.isPassed == true, "\(summary(judged311))\n\(broker.log)")
        let unjudged = try await run("""
            devices: [{ id: c5, kind: client, protocol: 5, username: alice, password: wrong }]
            steps:
              - connect: {}
            """, on: broker)
        #expect(failure(unjudged, step: 1)?.observed.contains("refused: not_authorized (0x87)") == true, "\(summary(unjudged))")
        let wrongReason = try await run("""
            devices: [{ id: c5, kind: client, protocol: 5, username: alice, password: wrong }]
            steps:
              - connect: {}
              - expect: { connack: { reason: bad_user_name_or_password }, within: 2s }
            """, on: broker)
        // Mosquitto 2.0 answers a wrong password with Not authorized.
        #expect(failure(wrongReason, step: 2)?.observed.hasPrefix("CONNACK arrived with reason not_authorized (0x87), expected bad_user_name_or_password (0x86)") == true, "\(summary(wrongReason))")
    }

    @Test("the broker's DISCONNECT is judged by its reason; wills carry their properties, also after DISCONNECT with will message")
    func serverDisconnectAndWill() async throws {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        // Mosquitto's Topic Alias Maximum is 10: a PUBLISH with alias 11 (written raw, as the
        // client refuses to send it) gets DISCONNECT topic_alias_invalid.
        let alias11 = "30 0a 00 03 61 2f 62 03 23 00 0b 78"
        let result = try await run("""
            devices:
              - id: aliaser
                kind: client
                protocol: 5
                will: { topic: harness/v5/will, payload: gone, qos: 1, properties: { content_type: text/plain, user: { why: alias } } }
              - id: leaver
                kind: client
                protocol: 5
                will: { topic: harness/v5/will, payload: left, qos: 1, properties: { user: { why: asked } } }
              - { id: watcher, kind: client, protocol: 5 }
            steps:
              - { device: watcher, connect: {} }
              - { device: watcher, subscribe: { topic: harness/v5/will, qos: 1 } }
              - { device: aliaser, connect: {} }
              - { device: aliaser, send_bytes: "\(alias11)" }
              - { device: aliaser, expect: { disconnect: { reason: topic_alias_invalid }, within: 2s } }
              - device: watcher
                expect: { publish: { topic: harness/v5/will, payload: gone, properties: { content_type: text/plain, user: { why: alias } } }, within: 3s }
              - { device: leaver, connect: {} }
              - { device: leaver, disconnect: { reason: disconnect_with_will_message } }
              - { device: watcher, expect: { publish: { topic: harness/v5/will, payload: left, properties: { user: { why: asked } } }, within: 3s } }
            """, on: broker)
        #expect(result.isPassed == true, "\(summary(result))\n\(broker.log)")
        let wrong = try await run("""
            devices: [{ id: aliaser, kind: client, protocol: 5 }]
            steps:
              - connect: {}
              - send_bytes: "\(alias11)"
              - expect: { disconnect: { reason: server_shutting_down }, within: 2s }
            """, on: broker)
        #expect(failure(wrong, step: 3)?.observed.hasPrefix("DISCONNECT arrived with reason topic_alias_invalid (0x94), expected server_shutting_down (0x8B)") == true, "\(summary(wrong))")
    }

    @Test("a SUBACK refusal is judged by its reasons; no_local keeps a client's own message from it")
    func subackAndNoLocal() async throws {
        let broker = try await Mosquitto.start(deniedSubscriptions: ["harness/v5/denied/#"])
        defer { broker.stop() }
        let result = try await run("""
            devices: [{ id: c5, kind: client, protocol: 5 }]
            steps:
              - connect: {}
              - subscribe: { topic: "harness/v5/denied/#", qos: 1 }
              - expect: { packet: SUBACK, reasons: [not_authorized], within: 2s }
              - subscribe: { topic: harness/v5/echo, qos: 1, no_local: true }
              - publish: { topic: harness/v5/echo, payload: me, qos: 1 }
              - expect: { packet: PUBACK, reason: success, within: 2s }
              - expect: { publish: { topic: harness/v5/echo }, for: 500ms }
            """, on: broker)
        #expect(result.isPassed == true, "\(summary(result))\n\(broker.log)")
    }

    @Test("a fleet of kind client with protocol 5 connects its members in MQTT 5.0 with the step's properties")
    func fleet() async throws {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        let result = try await run("""
            fleet: { id: "harness-v5-fleet-${index}", count: 3, kind: client, protocol: 5 }
            steps:
              - connect: { properties: { session_expiry_interval: 0, user: { fleet: yes } } }
            """, on: broker)
        #expect(result.isPassed == true, "\(summary(result))\n\(broker.log)")
        let members = broker.log.split(separator: "\n").filter { $0.contains("New client connected") && $0.contains("(p5,") }
        #expect(members.count == 3, "\(broker.log)")
    }
}
