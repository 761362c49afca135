import Foundation
import HarnessTestSupport
import IoTHubCore
import NIOPosix
import Scenario
import Testing

/// The MQTT 5.0 pack (`scenarios/conformance/mqtt-5.0`): its statements, its verdicts against a
/// real Mosquitto set up as `brokers/mosquitto` says, and proof that each scenario can fail.
@Suite(.serialized) struct ConformancePack5Tests {
    /// Deadlines stretched a little for a loaded CI machine; `for` windows keep their length.
    let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, deadlineScale: 1.5))

    static var files: [String] { ConformancePackTests.packFiles("mqtt-5.0") }

    /// Statements that bind only the client: a step against a broker cannot check them (the
    /// pack breaks some on purpose and names the server's duty instead).
    static let clientObligations = [
        "MQTT-2.2.1-3", "MQTT-3.1.0-1", "MQTT-3.1.2-11", "MQTT-3.1.2-13", "MQTT-3.1.2-16", "MQTT-3.1.2-20", "MQTT-3.1.2-21",
        "MQTT-3.1.2-30", "MQTT-3.1.3-1", "MQTT-3.1.3-3", "MQTT-3.1.3-4", "MQTT-3.2.2-4", "MQTT-3.2.2-5", "MQTT-3.2.2-11",
        "MQTT-3.2.2-14", "MQTT-3.2.2-15", "MQTT-3.2.2-17", "MQTT-3.2.2-18", "MQTT-3.2.2-21", "MQTT-3.3.1-4", "MQTT-3.3.2-9",
        "MQTT-3.3.2-10", "MQTT-3.3.2-14", "MQTT-3.3.4-6", "MQTT-3.3.4-7", "MQTT-3.3.4-8", "MQTT-3.8.3-2", "MQTT-3.10.3-2",
        "MQTT-4.5.0-2", "MQTT-4.6.0-1", "MQTT-4.6.0-2", "MQTT-4.6.0-3", "MQTT-4.6.0-4", "MQTT-4.12.0-3", "MQTT-4.12.0-7",
        "MQTT-4.12.1-1", "MQTT-6.0.0-3",
    ]

    @Test("the MQTT 5.0 pack: every scenario names statements, all of them MQTT 5.0's and none the client's alone; at least 150 of them")
    func statements() throws {
        let files = Self.files
        #expect(files.count >= 60)
        var statements: Set<String> = []
        for file in files {
            let scenario = try ScenarioLoader.load(path: file)
            #expect(!scenario.statements.isEmpty, "\(file) names no statement")
            #expect(scenario.name.hasPrefix("mqtt5-"), "\(file): \(scenario.name)")
            for id in scenario.statements {
                #expect(NormativeStatements.mqtt5[id] != nil, "\(file): \(id) is not an MQTT 5.0 statement")
            }
            statements.formUnion(scenario.statements)
        }
        for id in Self.clientObligations {
            #expect(!statements.contains(id), "\(id) is the client's obligation, but a step claims to check it")
        }
        #expect(statements.count >= 150, "\(statements.count) statements")
    }

    /// Runs the whole pack against `port` and returns the verdicts.
    func judge(port: Int, files: [String] = Self.files) async throws -> StatementVerdicts {
        var results: [ScenarioResult] = []
        for file in files {
            results.append(await runner.run(try ScenarioLoader.load(path: file, options: LoadOptions(hubOverride: "mqtt://127.0.0.1:\(port)"))))
        }
        return StatementVerdicts(results)
    }

    @Test("Mosquitto 2.0 set up as brokers/mosquitto: the verdicts of brokers/mosquitto/verdicts.yaml")
    func mosquitto() async throws {
        let expected = try ExpectedVerdicts.load(path: Repository.root.appendingPathComponent("scenarios/conformance/mqtt-5.0/brokers/mosquitto/verdicts.yaml").path, standard: .mqtt5)
        let broker = try await Mosquitto.startForPack("mqtt-5.0")
        defer { broker.stop() }
        let started = ContinuousClock.now
        let verdicts = try await judge(port: broker.port)
        let (checked, total) = verdicts.coverage(of: .mqtt5)
        // For the CI log: the broker's verdicts at a glance.
        print("\(expected.broker): \(checked) of \(total) MQTT 5.0 statements checked in \(ContinuousClock.now - started): \(verdicts.statements(.passed).count) pass, \(verdicts.statements(.failed).count) fail, \(verdicts.statements(.notApplicable).count) not applicable, \(verdicts.statements(.notReached).count) not reached")
        let differences = expected.differences(from: verdicts)
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
        #expect(checked >= 150)
        // The pack leaves no session behind: the next run must not start with Session Present.
        let stored = try await storedSessions(port: broker.port)
        #expect(stored.isEmpty, "client ids with a stored session after the pack: \(stored)")
    }

    /// The pack's client ids (device ids unless `client_id` says otherwise, the empty one
    /// aside) for which the broker keeps a session: a Clean Start 0 CONNECT gets Session
    /// Present 1. Each is ended again (Clean Start 1, no expiry).
    func storedSessions(port: Int) async throws -> [String] {
        var ids: Set<String> = []
        for file in Self.files {
            for device in try ScenarioLoader.load(path: file).targets.flatMap(\.devices) {
                let id = device.clientID ?? device.id.string
                if !id.isEmpty { ids.insert(id) }
            }
        }
        var stored: [String] = []
        for id in ids.sorted() {
            let yaml = """
                name: session-check
                hub: "mqtt://127.0.0.1:\(port)"
                device: { id: session-check, kind: client, protocol: 5, client_id: "\(id)" }
                steps:
                  - connect: { clean_start: false, keepalive: 60 }
                  - expect: { connack: { reason: success, session_present: false }, within: 2s }
                finally:
                  - restart: {}
                  - connect: { clean_start: true, keepalive: 60 }
                  - disconnect: {}

                """
            let result = await runner.run(try ScenarioLoader.load(yaml: yaml, path: "session-check.yaml"))
            if !result.isPassed { stored.append(id) }
        }
        return stored
    }

    @Test("every scenario of the MQTT 5.0 pack can fail: with its checks turned into their opposites, one fails against the same Mosquitto; where Mosquitto fails the scenario as it is, the turned checks pass")
    func everyScenarioCanFail() async throws {
        let expected = try ExpectedVerdicts.load(path: Repository.root.appendingPathComponent("scenarios/conformance/mqtt-5.0/brokers/mosquitto/verdicts.yaml").path, standard: .mqtt5)
        let deviations = Set(expected.fails.map(\.statement))
        let broker = try await Mosquitto.startForPack("mqtt-5.0")
        defer { broker.stop() }
        var turnedPassing: [String] = []
        for file in Self.files {
            let scenario = try ScenarioLoader.load(path: file, options: LoadOptions(hubOverride: "mqtt://127.0.0.1:\(broker.port)"))
            let (flipped, numbers) = CheckFlipping.flipped(scenario)
            #expect(!numbers.isEmpty, "\(file) has no check that can be turned")
            let result = await runner.run(flipped)
            let turned = result.steps.filter { numbers.contains($0.step.number) }
            if turned.contains(where: { $0.status.isFailure }) { continue }
            // No turned check failed: the scenario must be one Mosquitto fails as it is (a
            // deviation of the verdicts file, which the verdicts test sees fail), and its turned
            // deviation check must have passed.
            let name = URL(fileURLWithPath: file).lastPathComponent
            turnedPassing.append(name)
            let deviationSteps = turned.filter { !deviations.isDisjoint(with: $0.step.statements) }
            #expect(!deviationSteps.isEmpty && deviationSteps.allSatisfy { $0.status.isPassed }, "\(name): no turned check failed, and none is of a statement Mosquitto fails: \(turned.map { "\($0.step.number) \($0.status)" })")
        }
        // The scenarios of the six deviations, no more.
        #expect(turnedPassing.count <= 6, "\(turnedPassing)")
    }
}
