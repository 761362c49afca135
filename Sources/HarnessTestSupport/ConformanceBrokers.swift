import Foundation
import NIOCore
import NIOPosix

/// The brokers the MQTT 3.1.1 pack is judged against besides Mosquitto, each started by a test
/// with the configuration committed beside the pack (`scenarios/conformance/mqtt-3.1.1/brokers/`)
/// on free loopback ports. A missing broker is an error, never a skip: `.ci/run` installs them.
public enum ConformanceBrokers {
    /// RabbitMQ with its MQTT plugin (Debian `rabbitmq-server`): its own node name, `epmd`,
    /// distribution port, data and log folders (`RABBITMQ_*` variables, `HOME`), MQTT only.
    public static func startRabbitMQ(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> BrokerProcess {
        let files = BrokerProcess.packFolder("rabbitmq")
        let directory = try BrokerProcess.makeDirectory("rabbitmq")
        let (port, epmdPort, distributionPort) = (try await Mosquitto.freePort(group: group), try await Mosquitto.freePort(group: group), try await Mosquitto.freePort(group: group))
        let broker = try BrokerProcess(name: "RabbitMQ", port: port, directory: directory)
        do {
            try BrokerProcess.render(files.appendingPathComponent("rabbitmq.conf.in"), to: directory.appendingPathComponent("rabbitmq.conf"), replacing: [
                "PORT": String(port), "DEFINITIONS": files.appendingPathComponent("definitions.json").path,
            ])
            try FileManager.default.copyItem(at: files.appendingPathComponent("enabled_plugins"), to: directory.appendingPathComponent("enabled_plugins"))
            try await ErlangNode.startEPMD(for: broker, port: epmdPort)
            let path = directory.path
            try broker.launch("/usr/lib/rabbitmq/bin/rabbitmq-server", [], environment: [
                "HOME": path,
                "ERL_EPMD_PORT": String(epmdPort),
                "RABBITMQ_NODENAME": ErlangNode.nodeName("rabbitmq"),
                "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
                "RABBITMQ_DIST_PORT": String(distributionPort),
                "RABBITMQ_CONFIG_FILE": path + "/rabbitmq",
                "RABBITMQ_ENABLED_PLUGINS_FILE": path + "/enabled_plugins",
                "RABBITMQ_MNESIA_BASE": path + "/mnesia",
                "RABBITMQ_LOG_BASE": path + "/log",
                "RABBITMQ_PLUGINS_EXPAND_DIR": path + "/plugins-expand",
                "RABBITMQ_PID_FILE": path + "/rabbitmq.pid",
                "RABBITMQ_FEATURE_FLAGS_FILE": path + "/feature_flags",
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            ])
            // A cold node takes about 10 s here (19 s under load): it builds its database.
            try await broker.waitUntilListening(on: port, timeout: .seconds(90))
            try await broker.waitUntilAcceptingClients(timeout: .seconds(30))
        } catch {
            broker.stop()
            throw error
        }
        return broker
    }

    /// ejabberd's mod_mqtt (Debian `ejabberd`): `erl` started directly (not `ejabberdctl`,
    /// which switches to the ejabberd user), with its own node name, `epmd`, spool folder and
    /// configuration.
    public static func startEjabberd(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> BrokerProcess {
        let files = BrokerProcess.packFolder("ejabberd")
        let directory = try BrokerProcess.makeDirectory("ejabberd")
        let (port, epmdPort) = (try await Mosquitto.freePort(group: group), try await Mosquitto.freePort(group: group))
        let broker = try BrokerProcess(name: "ejabberd", port: port, directory: directory)
        do {
            guard let libraries = ejabberdLibraries else {
                throw BrokerProcess.StartError(description: "ejabberd is not installed (Debian package ejabberd); `bash .ci/run` installs it")
            }
            let config = directory.appendingPathComponent("ejabberd.yml")
            try BrokerProcess.render(files.appendingPathComponent("ejabberd.yml.in"), to: config, replacing: ["PORT": String(port)])
            let spool = directory.appendingPathComponent("spool")
            try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
            try await ErlangNode.startEPMD(for: broker, port: epmdPort)
            try broker.launch("/usr/bin/erl", [
                "-sname", ErlangNode.nodeName("ejabberd"), "-noinput",
                "-mnesia", "dir", "\"\(spool.path)\"",
                "-kernel", "inet_dist_use_interface", "{127,0,0,1}",
                "-s", "ejabberd",
            ], environment: [
                "HOME": directory.path,
                "ERL_EPMD_PORT": String(epmdPort),
                "ERL_LIBS": libraries,
                "EJABBERD_CONFIG_PATH": config.path,
                "EJABBERD_LOG_PATH": directory.appendingPathComponent("ejabberd.log").path,
            ])
            try await broker.waitUntilListening(on: port, timeout: .seconds(60))
            // mod_mqtt takes only clients with a user name and a password (see ejabberd.yml.in).
            try await broker.waitUntilAcceptingClients(credentials: ("harness", "harness"), timeout: .seconds(30))
        } catch {
            broker.stop()
            throw error
        }
        return broker
    }

    /// amqtt from the repository's `.venv` (PyPI `amqtt`, pinned in `.ci/requirements.txt`),
    /// with the plugin beside its configuration on `PYTHONPATH`.
    public static func startAMQTT(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> BrokerProcess {
        let files = BrokerProcess.packFolder("amqtt")
        let executable = Repository.root.appendingPathComponent(".venv/bin/amqtt").path
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw BrokerProcess.StartError(description: "\(executable) is missing; run `bash .ci/run` to install amqtt into .venv")
        }
        let directory = try BrokerProcess.makeDirectory("amqtt")
        let port = try await Mosquitto.freePort(group: group)
        let broker = try BrokerProcess(name: "amqtt", port: port, directory: directory)
        do {
            let config = directory.appendingPathComponent("amqtt.yaml")
            try BrokerProcess.render(files.appendingPathComponent("amqtt.yaml.in"), to: config, replacing: ["PORT": String(port)])
            try broker.launch(executable, ["-c", config.path], environment: ["PYTHONPATH": files.path, "PYTHONUNBUFFERED": "1"])
            try await broker.waitUntilListening(on: port, timeout: .seconds(60))
            try await broker.waitUntilAcceptingClients(timeout: .seconds(30))
        } catch {
            broker.stop()
            throw error
        }
        return broker
    }

    /// The folder that holds ejabberd's Erlang applications (`ERL_LIBS`), as the Debian
    /// package lays it out (`/usr/lib/<triplet>/ejabberd-<version>`).
    static var ejabberdLibraries: String? {
        let candidates = ["x86_64-linux-gnu", "aarch64-linux-gnu", "arm-linux-gnueabihf"].map { "/usr/lib/\($0)" }
        return candidates.first { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).contains { $0.hasPrefix("ejabberd-") }
        }
    }
}
