import Foundation
import HarnessTestSupport
import IoTHubCore
import NIOPosix
import Scenario
import Testing

/// The shipped conformance packs: the MQTT 3.1.1 pack against a real Mosquitto started for
/// the test, the IoT Hub pack against the simulated hub.
@Suite(.serialized) struct ConformancePackTests {
    let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, deadlineScale: 3))

    func pack(_ name: String) -> [String] { Self.packFiles(name) }

    /// The scenario files of a shipped pack (its own folder, not the brokers' files below it).
    static func packFiles(_ name: String) -> [String] {
        let folder = ScenarioLoaderTests.repositoryRoot.appendingPathComponent("scenarios/conformance/\(name)")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return files.filter { $0.hasSuffix(".yaml") }.sorted().map { folder.appendingPathComponent($0).path }
    }

    @Test("the MQTT 3.1.1 pack: every scenario names statements on its steps, all of them the standard's, and it checks the statements the issue asks for")
    func mqttPackStatements() throws {
        let files = pack("mqtt-3.1.1")
        #expect(files.count >= 40)
        var statements: Set<String> = []
        for file in files {
            let scenario = try ScenarioLoader.load(path: file)
            #expect(!scenario.statements.isEmpty, "\(file) names no statement")
            for id in scenario.statements where id.hasPrefix("MQTT-") {
                #expect(NormativeStatements.mqtt311[id] != nil, "\(file): \(id)")
            }
            statements.formUnion(scenario.statements)
        }
        for id in [
            "MQTT-3.1.0-2", "MQTT-3.1.2-1", "MQTT-3.1.2-2", "MQTT-3.1.2-3", "MQTT-2.2.2-2", "MQTT-3.8.1-1",
            "MQTT-3.3.1-4", "MQTT-1.5.3-1", "MQTT-3.1.2-24", "MQTT-4.4.0-1", "MQTT-4.7.2-1", "MQTT-3.9.3-1",
            "MQTT-3.10.4-4", "MQTT-3.1.3-8", "MQTT-3.3.1-5", "MQTT-3-8.3-4",
            // The server's side of the malformed CONNECT, PUBLISH, SUBSCRIBE and UNSUBSCRIBE cases.
            "MQTT-3.1.4-1", "MQTT-4.8.0-1", "MQTT-1.5.3-2",
            // Added for the brokers' gaps: delivery QoS, reserved SUBACK codes, retained messages
            // on wildcard filters, ordering, a will published retained.
            "MQTT-3.8.4-6", "MQTT-3.9.3-2", "MQTT-3.3.1-6", "MQTT-4.6.0-6", "MQTT-3.1.2-16",
        ] {
            #expect(statements.contains(id), "no step checks \(id)")
        }
        // A step against a broker checks the server's obligations: the client's (what a CONNECT,
        // PUBLISH, SUBSCRIBE or UNSUBSCRIBE must hold, the order of PUBACKs) are what the pack's
        // malformed packets break on purpose, and the server's answer is another statement.
        for id in [
            "MQTT-3.1.0-1", "MQTT-3.1.2-13", "MQTT-3.1.2-14", "MQTT-3.1.2-15", "MQTT-3.1.2-22", "MQTT-3.3.2-2",
            "MQTT-3.8.3-3", "MQTT-3.10.3-2", "MQTT-4.7.1-1", "MQTT-4.7.1-2", "MQTT-4.7.3-2", "MQTT-4.6.0-2",
        ] {
            #expect(!statements.contains(id), "\(id) is the client's obligation, but a step claims to check it")
        }
        // 72 after the client's obligations were taken off (the issue's 80 counted them).
        #expect(statements.filter { NormativeStatements.mqtt311[$0] != nil }.count >= 72)
    }

    @Test("every pack scenario that connects with clean session 0 ends that session in finally: a clean session 1 connect, then a disconnect")
    func persistentSessionsEnded() throws {
        for file in pack("mqtt-3.1.1") {
            let scenario = try ScenarioLoader.load(path: file)
            let persistent = Set(scenario.steps.compactMap { step -> DeviceID? in
                guard case .connect(cleanSession: false, _, _) = step.kind else { return nil }
                return step.device
            })
            for device in persistent {
                // An empty client id gets one the broker makes up: no session the pack can name.
                if scenario.devices.first(where: { $0.id == device })?.clientID == "" { continue }
                let cleanup = scenario.finallySteps.filter { $0.device == device }.map(\.kind)
                let clean = cleanup.firstIndex { if case .connect(cleanSession: true, _, _) = $0 { true } else { false } }
                let ended = clean.map { index in cleanup[(index + 1)...].contains { if case .disconnect = $0 { true } else { false } } } ?? false
                #expect(ended, "\(file): \(device) connects with clean session 0, but finally does not connect it with clean session 1 and disconnect")
            }
        }
    }

    /// The client ids the pack's devices present (their device ids unless `client_id` says
    /// otherwise), without the empty one.
    static func packClientIDs() throws -> [String] {
        var ids: Set<String> = []
        for file in packFiles("mqtt-3.1.1") {
            for device in try ScenarioLoader.load(path: file).devices {
                let id = device.clientID ?? device.id.string
                if !id.isEmpty { ids.insert(id) }
            }
        }
        return ids.sorted()
    }

    @Test("without a denied subscription, subscribe-failure does not apply, and says why")
    func subscribeFailureNotApplicable() async throws {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        let file = try #require(pack("mqtt-3.1.1").first { $0.hasSuffix("/subscribe-failure.yaml") })
        let scenario = try ScenarioLoader.load(path: file, options: LoadOptions(hubOverride: "mqtt://127.0.0.1:\(broker.port)"))
        let result = await runner.run(scenario)
        #expect(result.isPassed)
        let verdicts = StatementVerdicts([result])
        #expect(verdicts.statements(.notApplicable) == ["MQTT-3.8.4-5", "MQTT-3.9.3-2"])
        #expect(verdicts.statements(.passed) == ["MQTT-3.8.4-1"])
        let row = try #require(verdicts.rows.first { $0.statement == "MQTT-3.8.4-5" })
        #expect(row.steps.first?.reason?.contains("the broker granted harness/conform/denied/deep/#") == true)
    }

    @Test("exact bytes: the CONNACK alone passes; a SUBACK after it fails the expectation, where a prefix match passes")
    func exactBytes() async throws {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        let connect = "10 17 00 04 4d 51 54 54 04 02 00 3c 00 0b 68 61 72 6e 65 73 73 2d 72 61 77"
        let subscribe = "82 06 00 01 00 01 61 00"
        func run(_ bytes: String, exact: Bool) async throws -> ScenarioResult {
            let yaml = """
                hub: mqtt://127.0.0.1:\(broker.port)
                device: { id: raw, kind: client }
                steps:
                  - send_bytes: "\(bytes)"
                  - expect: { bytes: "20 02 00 00", exact: \(exact), within: 300ms }

                """
            return await runner.run(try ScenarioLoader.load(yaml: yaml, path: "exact.yaml"))
        }
        #expect(try await run(connect, exact: true).isPassed)
        #expect(try await run(connect + " " + subscribe, exact: false).isPassed)
        let strict = try await run(connect + " " + subscribe, exact: true)
        guard case .failed(let failure) = strict.steps[1].status else {
            Issue.record("exact did not fail: \(strict.steps[1].status)")
            return
        }
        #expect(failure.observed == "more arrived: 20 02 00 00 90 03 00 01 00", "\(failure)")
    }

    @Test("the IoT Hub pack passes against the simulated hub")
    func iotHubPack() async throws {
        let files = pack("iothub")
        #expect(files.count >= 8)
        for file in files {
            let scenario = try ScenarioLoader.load(path: file)
            #expect(!scenario.statements.isEmpty, "\(file) names no statement")
            let result = await runner.run(scenario)
            #expect(result.isPassed, "\(file): \(result.setupError ?? "") \(result.steps.filter { !$0.status.isPassed }.map { "\($0.step.number) \($0.status)" })")
        }
    }

    @Test("the IoT Hub pack can fail: a send the hub takes fails 'refused', a refused send fails without it, and the code must match")
    func refusalsCanFail() async throws {
        let yaml = """
            name: refusals
            device: { id: dev1, kind: client }
            steps:
              - connect: { clean_session: true, keepalive: 60 }
              - send: { payload: "fits", refused: true }

            """
        let steps = [
            "  - send: { payload: \"fits\", refused: true }\n",
            "  - send: { payload: x, payload_size: 65537 }\n",
            "  - send: { payload: x, payload_size: 65537, refused: DeviceMaximumQueueDepthExceeded }\n",
        ]
        var observed: [String] = []
        for step in steps {
            let text = yaml.replacingOccurrences(of: "  - send: { payload: \"fits\", refused: true }\n", with: step)
            let result = await runner.run(try ScenarioLoader.load(yaml: text, path: "refusals.yaml"))
            guard case .failed(let failure) = result.steps[1].status else {
                Issue.record("\(step) did not fail: \(result.steps[1].status) \(result.setupError ?? "")")
                continue
            }
            observed.append("\(failure.expected) / \(failure.observed)")
        }
        #expect(observed == [
            "the hub to refuse the message / it accepted it",
            "the hub to accept the message / it refused: message of 65537 bytes exceeds 65536 bytes (MessageTooLarge)",
            "the hub to refuse the message with DeviceMaximumQueueDepthExceeded / it refused: message of 65537 bytes exceeds 65536 bytes (MessageTooLarge)",
        ])
    }
}
