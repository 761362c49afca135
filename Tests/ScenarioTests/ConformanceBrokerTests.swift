import Foundation
import HarnessTestSupport
import NIOPosix
import Scenario
import Testing

/// The MQTT 3.1.1 pack judged against real brokers, each started here on loopback with the
/// configuration committed beside the pack: the verdicts must be exactly those of the broker's
/// `brokers/<name>/verdicts.yaml` (every statement it fails, with what it does instead; those
/// that do not apply to it; none reached only partly). A verdict that changes in either
/// direction fails the test and names the step behind it.
@Suite(.serialized) struct ConformanceBrokerTests {
    /// Deadlines stretched a little for a loaded CI machine; `for` windows keep their length.
    let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, deadlineScale: 1.5))

    static func verdictsFile(_ broker: String) -> String {
        BrokerProcess.packFolder(broker).appendingPathComponent("verdicts.yaml").path
    }

    /// Runs the whole pack against `port` with the verdicts file's device settings and returns
    /// the differences from the file.
    func judge(_ broker: String, port: Int) async throws -> [String] {
        let expected = try ExpectedVerdicts.load(path: Self.verdictsFile(broker))
        var results: [ScenarioResult] = []
        for file in ConformancePackTests.packFiles("mqtt-3.1.1") {
            let options = LoadOptions(hubOverride: "mqtt://127.0.0.1:\(port)", deviceOverrides: expected.device.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) })
            results.append(await runner.run(try ScenarioLoader.load(path: file, options: options)))
        }
        let verdicts = StatementVerdicts(results)
        let (checked, total) = verdicts.coverage(of: .mqtt311)
        // For the CI log: the broker's verdicts at a glance.
        print("\(expected.broker): \(checked) of \(total) statements checked: \(verdicts.statements(.passed).count) pass, \(verdicts.statements(.failed).count) fail, \(verdicts.statements(.notApplicable).count) not applicable, \(verdicts.statements(.notReached).count) not reached")
        return expected.differences(from: verdicts)
    }

    @Test("Mosquitto 2.0 (denying harness/conform/denied/#): the verdicts of brokers/mosquitto/verdicts.yaml")
    func mosquitto() async throws {
        let broker = try await Mosquitto.start(deniedSubscriptions: ["harness/conform/denied/#"])
        defer { broker.stop() }
        let differences = try await judge("mosquitto", port: broker.port)
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
        // The pack leaves no session behind: the next run must not start with session present.
        let stored = try await storedSessions(port: broker.port)
        #expect(stored.isEmpty, "client ids with a stored session after the pack: \(stored)")
    }

    /// The pack's client ids for which the broker keeps a session: a clean session 0 CONNECT
    /// gets session present 1. Each is discarded again (a clean session 1 connect).
    func storedSessions(port: Int) async throws -> [String] {
        var stored: [String] = []
        for id in try ConformancePackTests.packClientIDs() {
            let yaml = """
                name: session-check
                hub: "mqtt://127.0.0.1:\(port)"
                device: { id: session-check, kind: client, client_id: "\(id)" }
                steps:
                  - connect: { clean_session: false, keepalive: 60 }
                  - expect: { bytes: "20 02 00 00", within: 2s }
                finally:
                  - restart: {}
                  - connect: { clean_session: true, keepalive: 60 }
                  - disconnect: {}

                """
            let result = await runner.run(try ScenarioLoader.load(yaml: yaml, path: "session-check.yaml"))
            if !result.isPassed { stored.append(id) }
        }
        return stored
    }

    @Test("RabbitMQ 3.10 with its MQTT plugin: the verdicts of brokers/rabbitmq/verdicts.yaml")
    func rabbitMQ() async throws {
        let broker = try await ConformanceBrokers.startRabbitMQ()
        defer { broker.stop() }
        let differences = try await judge("rabbitmq", port: broker.port)
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    }

    @Test("ejabberd 23.01 mod_mqtt: the verdicts of brokers/ejabberd/verdicts.yaml")
    func ejabberd() async throws {
        let broker = try await ConformanceBrokers.startEjabberd()
        defer { broker.stop() }
        let differences = try await judge("ejabberd", port: broker.port)
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    }

    @Test("amqtt: the verdicts of brokers/amqtt/verdicts.yaml")
    func amqtt() async throws {
        let broker = try await ConformanceBrokers.startAMQTT()
        defer { broker.stop() }
        let differences = try await judge("amqtt", port: broker.port)
        #expect(differences.isEmpty, "\(differences.joined(separator: "\n"))")
    }

    @Test("the brokers' test processes are gone after stop: no broker, epmd or Erlang helper left behind")
    func cleanup() async throws {
        let broker = try await ConformanceBrokers.startEjabberd()
        let directory = broker.directory
        let pids = BrokerProcess.descendants(of: getpid())
        #expect(!pids.isEmpty)
        broker.stop()
        let left = BrokerProcess.descendants(of: getpid()).filter { pid in
            // Only processes of this broker: their command line names its folder or its epmd port.
            let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
            return command.contains(directory.lastPathComponent) || command.contains("ejabberd")
        }
        #expect(left.isEmpty, "left running: \(left)")
        #expect(!FileManager.default.fileExists(atPath: directory.path))
        #expect(await Mosquitto.isListening(port: broker.port, group: MultiThreadedEventLoopGroup.singleton) == false)
    }
}
