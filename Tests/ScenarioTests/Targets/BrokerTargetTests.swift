import Foundation
import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import Reporting
import Scenario
import Testing

/// Scenarios against a real Mosquitto (Debian package), started on a free loopback port: over
/// TCP and TLS, with a simulated device, and with the seed firmware behind the tap proxy.
@Suite(.serialized) struct BrokerTargetTests {
    let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, deadlineScale: 10))

    static func seed(_ name: String) -> String {
        ScenarioLoaderTests.repositoryRoot.appendingPathComponent("scenarios/\(name)").path
    }

    func summary(_ result: ScenarioResult) -> String {
        let steps = result.steps.map { "\($0.step.number) \($0.step.title): \($0.status)" }
        return ((result.setupError.map { ["setup: \($0)"] } ?? []) + steps).joined(separator: "\n")
    }

    @Test("c2d-led passes against Mosquitto over TCP, the cloud side publishing to the devicebound topic")
    func seedOverTCP() async throws {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        let scenario = try ScenarioLoader.load(path: Self.seed("c2d-led.yaml"), options: LoadOptions(hubOverride: "mqtt://127.0.0.1:\(broker.port)"))
        let result = await runner.run(scenario)
        #expect(result.isPassed, "\(summary(result))\n\(broker.log)")
        #expect(result.target.name == "mqtt://127.0.0.1:\(broker.port)")
        // The device saw the C2D PUBLISH with IoT Hub's property bag, timed at its own codec.
        let suite = result.makeTestSuite(hostname: "test")
        let trace = suite.systemOut
        #expect(trace.contains("hub -> device  PUBLISH"), "\(trace)")
        #expect(trace.contains("%24.to=%2Fdevices%2Fesp8266%2Fmessages%2Fdevicebound"), "\(trace)")
        #expect(suite.properties.contains { $0.name == "roundtrip.connect-connack.ms" })
        #expect(suite.properties.contains { $0.name == "hub" && $0.value == "mqtt://127.0.0.1:\(broker.port)" })
    }

    @Test("c2d-led passes against Mosquitto over TLS with the broker's CA (mqtts://)")
    func seedOverTLS() async throws {
        let certificates = try HubCertificateFactory.make(hostNames: ["localhost"], ipAddresses: ["127.0.0.1"], now: Date())
        let broker = try await Mosquitto.start(tls: Mosquitto.TLSIdentity(
            caPEM: certificates.caCertificatePEM, certificatePEM: certificates.serverCertificatePEM, keyPEM: certificates.serverPrivateKeyPEM
        ))
        defer { broker.stop() }
        let ca = try #require(broker.caFilePath)
        let hub = "mqtts://127.0.0.1:\(broker.port)?ca_file=\(ca)&server_name=localhost"
        let scenario = try ScenarioLoader.load(path: Self.seed("c2d-led.yaml"), options: LoadOptions(hubOverride: hub))
        let result = await runner.run(scenario)
        #expect(result.isPassed, "\(summary(result))\n\(broker.log)")
        // The seed firmware on the real umqtt.simple over TLS to the broker (HUB_TLS=1, the
        // broker's CA as CA_FILE); no tap proxy can see inside TLS, so the prelude's lines time it.
        _ = try Repository.python()
        let firmware = try ScenarioLoader.load(path: Self.seed("c2d-led-firmware.yaml"), options: LoadOptions(hubOverride: hub))
        let firmwareResult = await runner.run(firmware)
        #expect(firmwareResult.isPassed, "\(summary(firmwareResult))\n\(broker.log)")
        // A device that does not trust the CA is refused at the TLS handshake.
        let untrusted = try ScenarioLoader.load(path: Self.seed("c2d-led.yaml"), options: LoadOptions(hubOverride: "mqtts://127.0.0.1:\(broker.port)"))
        let refused = await runner.run(untrusted)
        #expect(refused.isPassed == false)
        #expect(refused.setupError?.contains("cloud connection") == true, "\(summary(refused))")
    }

    @Test("telemetry, packet and disconnect expectations against a broker")
    func telemetryAndPackets() async throws {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        let yaml = """
            hub: mqtt://127.0.0.1:\(broker.port)
            device: { id: sensor, profile: sdk }
            steps:
              - connect: { clean_session: true, keepalive: 60 }
              - expect: { connack: accepted, within: 1s }
              - publish: { payload: "21.5", properties: { unit: C }, qos: 1 }
              - expect: { telemetry: "21.5", properties: { unit: C }, within: 1s }
              - expect: { packet: PUBACK, direction: to_device, within: 1s }
              - disconnect: {}
              - expect: { disconnected: true, within: 1s }

            """
        let scenario = try ScenarioLoader.load(yaml: yaml, path: "broker-telemetry.yaml")
        let result = await runner.run(scenario)
        #expect(result.isPassed, "\(summary(result))")
    }

    @Test("the seed firmware process through the tap proxy against Mosquitto: packets timed at the proxy, LED switched")
    func firmwareBehindTap() async throws {
        _ = try Repository.python()
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        let scenario = try ScenarioLoader.load(path: Self.seed("c2d-led-firmware.yaml"), options: LoadOptions(hubOverride: "mqtt://127.0.0.1:\(broker.port)"))
        let result = await runner.run(scenario)
        #expect(result.isPassed, "\(summary(result))\n\(broker.log)")
        let packets = result.packets.compactMap { observation -> String? in
            guard observation.vantage == .device, observation.device?.string == "esp8266" else { return nil }
            return "\(observation.record.direction) \(observation.record.packet.type)"
        }
        #expect(packets.prefix(4) == ["outbound CONNECT", "inbound CONNACK", "outbound SUBSCRIBE", "inbound SUBACK"], "\(packets)")
        #expect(packets.filter { $0 == "inbound PUBLISH" }.count == 2)
    }

    @Test("a board on a serial port behind a tap at the address the scenario gives: its packets timed at the proxy")
    func boardBehindTap() async throws {
        let python = try Repository.python()
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        let emulator = try BoardEmulator(python: python, launcher: Repository.seedFirmware.appendingPathComponent("run.py").path)
        defer { emulator.stop() }
        let seed = try ScenarioLoader.load(path: Self.seed("c2d-led.yaml"))
        let yaml = """
            hub: mqtt://127.0.0.1:\(broker.port)
            device:
              id: esp8266
              kind: serial
              port: \(emulator.path)
              firmware: firmware/esp8266-led/main.py
              led: { pin: 5 }
              ready: '^connected\\.\\.\\.$'
              tap: 127.0.0.1:0
            steps:
              - connect: { clean_session: false, keepalive: 4000 }
              - expect: { connack: accepted, within: 1s }
              - subscribe: devices/esp8266/messages/devicebound/#
              - send: "on"
              - expect: { led: on, within: 500ms }
              - expect: { packet: PUBLISH, direction: to_device, within: 500ms }

            """
        let scenario = try ScenarioLoader.load(yaml: yaml, path: ScenarioLoaderTests.repositoryRoot.appendingPathComponent("scenarios/board-tap.yaml").path)
        #expect(seed.device?.id == scenario.device?.id)
        let result = await runner.run(scenario)
        #expect(result.isPassed, "\(summary(result))\n\(result.makeTestSuite().systemOut)")
        let packets = result.packets.compactMap { observation -> String? in
            observation.vantage == .device ? "\(observation.record.direction) \(observation.record.packet.type)" : nil
        }
        #expect(packets.prefix(2) == ["outbound CONNECT", "inbound CONNACK"], "\(packets)")
        // A tap on a hub it cannot serve is refused at load, with the hub's position.
        #expect(throws: ScenarioLoadError.self) {
            try ScenarioLoader.load(yaml: yaml.replacingOccurrences(of: "hub: mqtt://", with: "hub: mqtts://"), path: "board-tap.yaml")
        }
    }

    @Test("a broker that accepts and then stays silent fails the step at the action timeout, not a hang")
    func silentBroker() async throws {
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.autoRead, value: false)
            .bind(host: "127.0.0.1", port: 0)
            .get()
        defer { silent.close(promise: nil) }
        let port = try #require(silent.localAddress?.port)
        let quick = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, actionTimeout: .milliseconds(300)))
        let started = ContinuousClock.now
        let cloud = await quick.run(try ScenarioLoader.load(path: Self.seed("c2d-led.yaml"), options: LoadOptions(hubOverride: "mqtt://127.0.0.1:\(port)")))
        #expect(cloud.setupError?.contains("did not answer the harness's CONNECT within 300ms") == true, "\(summary(cloud))")
        let yaml = "hub: mqtt://127.0.0.1:\(port)\ndevice: { id: d }\nsteps:\n  - connect: {}\n"
        let device = await quick.run(try ScenarioLoader.load(yaml: yaml, path: "silent.yaml"))
        guard case .failed(let failure) = device.steps.first?.status else {
            Issue.record("connect did not fail: \(summary(device))")
            return
        }
        #expect(failure.observed == "nothing arrived")
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    /// A CA, a server certificate for localhost and 127.0.0.1, and a client certificate, made
    /// with the openssl command line tool in `folder`.
    static func makeCertificates(in folder: String) async throws {
        let script = """
            set -e
            cd "$0"
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=harness-test-ca
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr -subj /CN=localhost
            printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > server.ext
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client.key -out client.csr -subj /CN=esp8266
            printf 'extendedKeyUsage=clientAuth\\n' > client.ext
            openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 -extfile client.ext
            """
        _ = try Repository.tool("openssl", package: "openssl")
        let output = try await ExternalTool.run("/bin/sh", ["-c", script, folder])
        #expect(output.status == 0, "\(output.standardError)")
    }

    @Test("mqtts:// with a client certificate, and user names and passwords for the cloud side and the device (require_certificate, password_file)")
    func clientCertificateAndPasswords() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-mtls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await Self.makeCertificates(in: folder)
        func read(_ name: String) throws -> String { try String(contentsOfFile: "\(folder)/\(name)", encoding: .utf8) }
        let broker = try await Mosquitto.start(
            tls: Mosquitto.TLSIdentity(caPEM: try read("ca.pem"), certificatePEM: try read("server.pem"), keyPEM: try read("server.key")),
            requireClientCertificate: true,
            users: ["cloud": "cloud-secret-pw", "esp8266": "device-secret-pw"]
        )
        defer { broker.stop() }
        let steps = """
            steps:
              - connect: { clean_session: false, keepalive: 4000 }
              - expect: { connack: accepted, within: 1s }
              - subscribe: devices/esp8266/messages/devicebound/#
              - send: "on"
              - expect: { led: on, within: 500ms }

            """
        func scenario(devicePassword: String, certificate: Bool = true) throws -> Scenario {
            let identity = certificate ? ", cert_file: client.pem, key_file: client.key" : ""
            return try ScenarioLoader.load(yaml: """
                hub: { url: "mqtts://127.0.0.1:\(broker.port)", ca_file: ca.pem, server_name: localhost\(identity), username: cloud, password: cloud-secret-pw }
                device: { id: esp8266, username: esp8266, password: \(devicePassword) }
                \(steps)
                """, path: "\(folder)/mtls.yaml")
        }
        let result = await runner.run(try scenario(devicePassword: "device-secret-pw"))
        #expect(result.isPassed, "\(summary(result))\n\(broker.log)")
        var redactor = SecretRedactor()
        for secret in result.secrets { redactor.register(secret) }
        let junit = JUnitXMLWriter(redactor: redactor).render(JUnitReport(suites: [result.makeTestSuite()]))
        #expect(junit.contains("device-secret-pw") == false && junit.contains("cloud-secret-pw") == false)

        let wrongPassword = await runner.run(try scenario(devicePassword: "guess"))
        guard case .failed(let failure) = wrongPassword.steps[1].status else {
            Issue.record("a wrong password was not refused: \(summary(wrongPassword))")
            return
        }
        #expect(failure.observed.contains("CONNACK 5"), "\(failure)")

        let noCertificate = await runner.run(try scenario(devicePassword: "device-secret-pw", certificate: false))
        #expect(noCertificate.setupError?.contains("cloud connection") == true, "\(summary(noCertificate))")
    }
}
