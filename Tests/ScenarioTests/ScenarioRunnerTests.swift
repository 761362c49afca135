import Devices
import Foundation
import HarnessTestSupport
import IoTHubCore
import NIOPosix
import Reporting
import Scenario
import Testing

/// Scenarios run end to end: simulated hub and device over real loopback sockets.
@Suite struct ScenarioRunnerTests {
    /// Deadlines scaled x10: these tests check outcomes on a machine shared with heavier tests.
    let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, deadlineScale: 10))
    /// Unscaled, for the tests about deadlines themselves.
    let strictRunner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton))

    @Test("the seed scenario passes, with latencies, round trips and a trace")
    func seedScenarioPasses() async throws {
        let scenario = try ScenarioLoader.load(path: ScenarioLoaderTests.repositoryRoot.appendingPathComponent("scenarios/c2d-led.yaml").path)
        let result = await runner.run(scenario)
        #expect(result.isPassed, "\(result.steps.map { "\($0.step.number) \($0.status)" })")
        #expect(result.passedCount == 7)
        let ledLatency = try #require(result.steps[4].latency)
        #expect(ledLatency > .zero && ledLatency < .milliseconds(500))
        #expect(result.steps[4].causeStep == StepNumber(4))

        let suite = result.makeTestSuite(hostname: "test")
        let names = suite.properties.map(\.name)
        for name in ["latency.step-02.ms", "latency.step-05.ms", "latency.step-07.ms", "roundtrip.connect-connack.ms", "roundtrip.subscribe-suback.ms", "c2d.step-04.send-to-led.ms"] {
            #expect(names.contains(name), "missing property \(name)")
        }
        #expect(suite.systemOut.contains("device -> hub  CONNECT"))
        #expect(suite.systemOut.contains("hub -> device  PUBLISH"))
        #expect(suite.systemOut.contains("esp8266: LED on"))
        let xml = JUnitXMLWriter(redactor: SecretRedactor(secrets: result.secrets)).render(JUnitReport(suites: [suite]))
        try await JUnitSchema.validate(xml: xml)
    }

    @Test("an expectation that cannot hold fails with expected and observed, and later steps are skipped")
    func impossibleExpectation() async throws {
        let scenario = try ScenarioLoader.load(path: ScenarioLoaderTests.fixture("led-on-after-off"))
        let result = await strictRunner.run(scenario)
        #expect(result.isPassed == false)
        guard case .failed(let failure) = result.steps[3].status else {
            Issue.record("step 4 did not fail: \(result.steps[3].status)")
            return
        }
        #expect(failure.expected == "led on within 200ms of step 3")
        #expect(failure.observed.contains("LED written off at +"), "\(failure.observed)")
        #expect(result.steps[4].status == .skipped(reason: "step 4 failed"))
        // The wait lasted until the deadline, measured from the causing send (step 3).
        #expect(result.steps[3].endTime >= result.steps[2].startTime + 200_000_000)
    }

    @Test("a publish step's failure names the answer its QoS needs: PUBACK for QoS 1, PUBREC then PUBCOMP for QoS 2")
    func publishAcknowledgementByQoS() async throws {
        // The simulated hub closes the connection on a QoS 2 PUBLISH, without PUBREC.
        let yaml = """
            name: qos2-publish
            device: { id: dev1, kind: client }
            steps:
              - connect: { clean_session: true, keepalive: 60 }
              - publish: { payload: "x", qos: 2 }

            """
        let result = await runner.run(try ScenarioLoader.load(yaml: yaml, path: "qos2.yaml"))
        guard case .failed(let failure) = result.steps[1].status else {
            Issue.record("not failed: \(result.steps[1].status)")
            return
        }
        #expect(failure.expected == "PUBREC, then PUBCOMP for the PUBREL", "\(failure)")
        #expect(failure.observed.hasPrefix("the exchange did not complete: "), "\(failure)")
        // QoS 1 passes: the hub answers PUBACK.
        let qos1 = await runner.run(try ScenarioLoader.load(yaml: yaml.replacingOccurrences(of: "qos: 2", with: "qos: 1"), path: "qos1.yaml"))
        #expect(qos1.isPassed, "\(qos1.steps.map { "\($0.step.number) \($0.status)" })")
    }

    @Test("a device with the wrong key is refused with CONNACK 5 and the expectation says so")
    func refusedDevice() async throws {
        // A fixed token (as the seed pastes one in) signed with a key the hub does not know.
        let forged = SASToken.make(
            resource: "simulated.azure-devices.net/devices/esp8266",
            key: DeviceKey(bytes: Array(repeating: 1, count: 32)),
            expiry: Int64(Date().timeIntervalSince1970) + 3600
        )
        let yaml = """
            device: { id: esp8266, token: "\(forged.rendered)" }
            steps:
              - connect: { clean_session: false, keepalive: 60 }
              - expect: { connack: accepted, within: 1s }
            """
        let result = await runner.run(try ScenarioLoader.load(yaml: yaml, path: "refused.yaml"))
        guard case .failed(let failure) = result.steps[1].status else {
            Issue.record("step 2 did not fail: \(result.steps[1].status)")
            return
        }
        #expect(failure.observed.hasPrefix("CONNACK 5 (not_authorized) after"))
    }

    @Test("expect led off for: passes when nothing switches it, fails when something does")
    func holdsFor() async throws {
        let yaml = """
            device: { id: esp8266 }
            steps:
              - connect: { clean_session: false }
              - subscribe: devices/esp8266/messages/devicebound/#
              - wait: 10ms
              - expect: { led: off, for: 50ms }
              - send: on
              - expect: { led: off, for: 1s }
            """
        let result = await strictRunner.run(try ScenarioLoader.load(yaml: yaml, path: "holds.yaml"))
        #expect(result.steps[3].status == .passed)
        guard case .failed(let failure) = result.steps[5].status else {
            Issue.record("step 6 did not fail")
            return
        }
        #expect(failure.observed.hasPrefix("LED switched on after"))
    }

    @Test("no secret reaches the report: device key and SAS signature are masked")
    func secrets() async throws {
        let key = DeviceKey(bytes: Array(repeating: 42, count: 32))
        var scenario = try ScenarioLoader.load(path: ScenarioLoaderTests.repositoryRoot.appendingPathComponent("scenarios/c2d-led.yaml").path)
        scenario.targets[0].devices[0].key = key
        let result = await runner.run(scenario)
        let suite = result.makeTestSuite()
        let xml = JUnitXMLWriter(redactor: SecretRedactor(secrets: result.secrets)).render(JUnitReport(suites: [suite]))
        #expect(xml.contains(key.base64) == false)
        #expect(xml.contains("sig=") == false || xml.components(separatedBy: "sig=").dropFirst().allSatisfy { $0.hasPrefix("***") })
    }

    @Test("every shipped scenario validates and passes")
    func shippedScenarios() async throws {
        let folder = ScenarioLoaderTests.repositoryRoot.appendingPathComponent("scenarios")
        let files = (FileManager.default.enumerator(atPath: folder.path)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".yaml") }
            // The MQTT conformance packs need a broker: ConformanceBrokerTests and
            // ConformancePack5Tests run them against a Mosquitto they start.
            .filter { !$0.hasPrefix("conformance/mqtt-3.1.1/") && !$0.hasPrefix("conformance/mqtt-5.0/") }
            // So do the MQTT 5.0 examples: MQTT5RunTests runs them against a Mosquitto.
            .filter { !$0.hasPrefix("examples/mqtt5/") }
        #expect(files.count >= 3)
        var notRun: [String] = []
        for file in files {
            let scenario = try ScenarioLoader.load(path: folder.appendingPathComponent(file).path)
            let needsMicroPython = scenario.targets.flatMap(\.devices).contains { device in
                if case .process(let settings, _) = device.settings { return settings.runtime == .micropython }
                return false
            }
            if needsMicroPython, !Repository.hasMicroPython {
                notRun.append(file)
                continue
            }
            let result = await runner.run(scenario)
            #expect(result.isPassed, "\(file): \(result.steps.map { "\($0.step.number) \($0.status)" })")
        }
        if !notRun.isEmpty {
            // Only when neither HARNESS_MICROPYTHON nor micropython on PATH exists.
            var reason = ""
            do { _ = try Repository.micropython() } catch { reason = "\(error)" }
            try Test.cancel("the others passed; not run: \(notRun.joined(separator: ", ")): \(reason)")
        }
    }

    @Test("--deadline-scale stretches 'within' deadlines, and the failure says so")
    func deadlineScale() async throws {
        let scaled = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, deadlineScale: 3))
        let yaml = """
            device: { id: esp8266 }
            steps:
              - connect: {}
              - expect: { disconnected: true, within: 100ms }
            """
        let result = await scaled.run(try ScenarioLoader.load(yaml: yaml, path: "scaled.yaml"))
        guard case .failed(let failure) = result.steps[1].status else {
            Issue.record("step 2 did not fail")
            return
        }
        #expect(failure.expected == "disconnected within 100ms of step 1 (scaled x3.0)")
        #expect(result.steps[1].endTime >= result.steps[0].startTime + 300_000_000)
    }
}

