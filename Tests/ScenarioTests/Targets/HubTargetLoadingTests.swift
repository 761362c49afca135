import Devices
import Foundation
import IoTHubCore
import MQTTClient
import Scenario
import Testing

/// `hub:` values and `--hub` flags: every kind, its settings, and each mistake with its position.
@Suite struct HubTargetLoadingTests {
    func load(_ yaml: String, hub: String? = nil, environment: [String: String] = [:]) throws(ScenarioLoadError) -> Scenario {
        try ScenarioLoader.load(
            yaml: yaml,
            path: "/work/s/test.yaml",
            options: LoadOptions(variables: Variables(environment: environment), hubOverride: hub)
        )
    }

    func errors(_ yaml: String, hub: String? = nil) -> [String] {
        do {
            _ = try load(yaml, hub: hub)
            Issue.record("loaded without errors")
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    static func scenario(hub: String, steps: String = "  - connect: {}\n  - send: \"on\"\n") -> String {
        "hub: \(hub)\ndevice: { id: esp8266 }\nsteps:\n\(steps)"
    }

    @Test("the simulated hub runs TLS by default; simulated+tcp and tls: false turn it off")
    func simulated() throws {
        #expect(try load(Self.scenario(hub: "simulated")).targets[0].hub == .simulated(SimulatedHubTarget(tls: true)))
        #expect(try load(Self.scenario(hub: "simulated+tcp")).targets[0].hub == .simulated(SimulatedHubTarget(tls: false)))
        let mapping = try load(Self.scenario(hub: "{ kind: simulated, hostname: lab.azure-devices.net, tls: false }")).targets[0]
        #expect(mapping.hub == .simulated(SimulatedHubTarget(hostName: "lab.azure-devices.net", tls: false)))
        #expect(mapping.name == "simulated+tcp")
    }

    @Test("mqtt:// and mqtts:// brokers with credentials, CA and client certificate; paths from the scenario's folder")
    func brokers() throws {
        let plain = try load(Self.scenario(hub: "mqtt://127.0.0.1:1884")).targets[0]
        #expect(plain.hub == .broker(BrokerTarget(host: "127.0.0.1", port: 1884)))
        #expect(plain.name == "mqtt://127.0.0.1:1884")
        let secure = try load(Self.scenario(hub: "\"mqtts://cloud:s3cret%40x@localhost?ca_file=certs/ca.pem&server_name=broker.lan\""))
        guard case .broker(let broker) = secure.targets[0].hub else {
            Issue.record("not a broker: \(secure.targets[0].hub)")
            return
        }
        #expect(broker.port == 8883)
        #expect(broker.tls == ClientTLS(caFile: "/work/s/certs/ca.pem", serverName: "broker.lan"))
        #expect(broker.username == "cloud" && broker.password == "s3cret@x")
        #expect(secure.secretValues.contains("s3cret@x"))
        #expect("\(secure.targets[0].hub)".contains("s3cret") == false)
        let mapping = try load(Self.scenario(hub: "{ url: \"mqtts://b:8884\", ca_file: /etc/ca.pem, cert_file: c.pem, key_file: k.pem, password: pw }"))
        #expect(mapping.targets[0].hub == .broker(BrokerTarget(
            host: "b", port: 8884, tls: ClientTLS(caFile: "/etc/ca.pem", certificateFile: "/work/s/c.pem", keyFile: "/work/s/k.pem"), password: "pw"
        )))
        #expect(mapping.secretValues.contains("pw"))
    }

    @Test("azure:// with address, CA, service URL, and the service connection string from the environment")
    func azure() throws {
        let connection = "HostName=lab.azure-devices.net;SharedAccessKeyName=service;SharedAccessKey=AAAA"
        let scenario = try load(
            Self.scenario(hub: "\"azure://lab.azure-devices.net?address=127.0.0.1:9883&ca_file=/tmp/ca.pem&service_url=http://127.0.0.1:9000\""),
            environment: ["IOTHUB_SERVICE_CONNECTION_STRING": connection]
        )
        let expected = AzureHubTarget(
            hostName: "lab.azure-devices.net", host: "127.0.0.1", port: 9883, caFile: "/tmp/ca.pem",
            serviceURL: "http://127.0.0.1:9000", serviceConnectionString: connection
        )
        #expect(scenario.targets[0].hub == .azure(expected))
        #expect(scenario.targets[0].name == "azure://lab.azure-devices.net")
        #expect(scenario.secretValues.contains(connection))
        let command = try load(Self.scenario(hub: "{ kind: azure, hostname: h.azure-devices.net, c2d_command: [az, iot, device, c2d-message, send, --data, \"$${PAYLOAD}\"] }"))
        guard case .azure(let hub) = command.targets[0].hub else {
            Issue.record("not azure")
            return
        }
        #expect(hub.cloudToDeviceCommand == ["az", "iot", "device", "c2d-message", "send", "--data", "${PAYLOAD}"])
        #expect(hub.host == "h.azure-devices.net" && hub.port == 8883 && hub.serviceURL == "https://h.azure-devices.net")
    }

    @Test("--hub replaces the file's hub with any kind")
    func override() throws {
        let scenario = try load(Self.scenario(hub: "simulated"), hub: "mqtt://127.0.0.1:1883")
        #expect(scenario.targets.map(\.hub) == [.broker(BrokerTarget(host: "127.0.0.1", port: 1883))])
        #expect(errors(Self.scenario(hub: "simulated"), hub: "mqtt:/x").first?.hasPrefix("--hub:1:1: error: hub 'mqtt:/x' is not one of") == true)
    }

    @Test("mistakes in hub values are reported with their positions")
    func mistakes() {
        #expect(errors(Self.scenario(hub: "simulatd")) == [
            "/work/s/test.yaml:1:6: error: hub 'simulatd' is not one of: simulated, simulated+tcp, mqtt://host:port, mqtts://host:port, azure://NAME.azure-devices.net (did you mean 'simulated'?)",
        ])
        #expect(errors(Self.scenario(hub: "{ kind: mqtt }")) == [
            "/work/s/test.yaml:1:6: error: a mqtt hub needs a 'url', for example mqtt://127.0.0.1:1883",
        ])
        #expect(errors(Self.scenario(hub: "{ kind: simulated, ca_file: x.pem }")) == [
            "/work/s/test.yaml:1:25: error: hub key 'ca_file' does not apply to a simulated hub; it takes: dps, hostname, throttle_connack, tls, tls_profile, x509_ca",
        ])
        #expect(errors(Self.scenario(hub: "{ kind: brokr }")) == [
            "/work/s/test.yaml:1:14: error: hub kind 'brokr' is unknown; known: simulated, mqtt, mqtts, azure",
        ])
        #expect(errors(Self.scenario(hub: "\"mqtt://h:1883?ca_file=x\"")) == [
            "/work/s/test.yaml:1:6: error: hub URL parameter 'ca_file' does not apply to mqtt://; it takes: none",
        ])
        #expect(errors(Self.scenario(hub: "{ url: \"mqtt://h:1883\", kind: azure }")).first?.contains("does not match the url's scheme 'mqtt://'") == true)
        // A URL with credentials is never echoed with them.
        let leaked = errors(Self.scenario(hub: "\"mqtt://cloud:s3cret@:1883\""))
        #expect(leaked == ["/work/s/test.yaml:1:6: error: hub 'mqtt://***@:1883' is not one of: simulated, simulated+tcp, mqtt://host:port, mqtts://host:port, azure://NAME.azure-devices.net"])
        let pasted = errors("device: { id: d, connection_string: \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\" }\nsteps:\n  - connect: {}\n")
        #expect(pasted.count == 1 && pasted[0].contains("AAECAwQF") == false, "\(pasted)")
        #expect(errors(Self.scenario(hub: "\"mqtts://h?cert_file=c.pem\"")).first?.contains("needs both cert_file and key_file") == true)
    }

    @Test("steps only the simulated hub can carry out or observe are refused on other targets, with positions")
    func simulatedOnlySteps() {
        let steps = """
              - connect: {}
              - expire_token: {}
              - advance_clock: 1h
              - revoke: {}
              - expect: { queued: 0, for: 1s }
              - expect: { disconnected: true, reason: token_expired, within: 1s }
              - expect: { telemetry: x, within: 1s }
              - send: { payload: x, refused: DeviceMaximumQueueDepthExceeded }

            """
        let broker = errors(Self.scenario(hub: "mqtt://127.0.0.1:1883", steps: steps))
        #expect(broker.count == 6)
        #expect(broker.last == "/work/s/test.yaml:11:5: error: 'refused' needs an IoT Hub (simulated or azure://), and the target mqtt://127.0.0.1:1883 is a plain broker: it takes every publish the cloud side may make")
        #expect(broker.first == "/work/s/test.yaml:5:5: error: 'expire_token' needs the simulated hub, and the target mqtt://127.0.0.1:1883 is not: a real hub's clock cannot be moved; give the device a short token_ttl and 'wait' instead")
        #expect(broker.contains { $0.hasPrefix("/work/s/test.yaml:9:5: error: 'reason: token_expired' needs the simulated hub") })
        let azure = errors(Self.scenario(hub: "{ kind: azure, hostname: h.azure-devices.net, c2d_command: [true] }", steps: steps))
        #expect(azure.count == 6)
        #expect(azure.last?.hasPrefix("/work/s/test.yaml:10:5: error: 'expect telemetry' is not observable on the target azure://h.azure-devices.net") == true)
    }

    @Test("devices take client_id, username, password and a connection string; secrets are marked")
    func deviceCredentials() throws {
        let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
        let yaml = """
            hub: mqtt://127.0.0.1:1883
            devices:
              - { id: a, client_id: "", username: user, password: pw1 }
              - { connection_string: "HostName=h.azure-devices.net;DeviceId=b;SharedAccessKey=\(key)" }
            steps:
              - connect: {}
                device: a

            """
        let scenario = try load(yaml)
        #expect(scenario.devices[0].clientID == "" && scenario.devices[0].username == "user" && scenario.devices[0].password == "pw1")
        #expect(scenario.devices[1].id.string == "b")
        #expect(scenario.devices[1].key?.base64 == key)
        #expect(scenario.secretValues.contains("pw1") && scenario.secretValues.contains(key))
        let mismatch = errors("""
            device: { id: a, connection_string: "HostName=h.azure-devices.net;DeviceId=b;SharedAccessKey=\(key)" }
            steps:
              - connect: {}

            """)
        #expect(mismatch == ["/work/s/test.yaml:1:37: error: the connection string is for device 'b', not 'a'"])
    }

    @Test("token_service: hub is the simulated hub's endpoint; another hub refuses it with the position of its hub")
    func hubTokenService() throws {
        let yaml = "hub: HUB\ndevice: { id: d, profile: umqtt-robust, token_service: hub }\nsteps:\n  - connect: {}\n"
        let scenario = try load(yaml.replacingOccurrences(of: "HUB", with: "simulated"))
        #expect(scenario.devices[0].tokenServiceFromHub)
        #expect(errors(yaml.replacingOccurrences(of: "HUB", with: "mqtt://127.0.0.1:1883")) == [
            "/work/s/test.yaml:1:6: error: device 'd' has 'token_service: hub', which only the simulated hub serves; this hub is mqtt://127.0.0.1:1883: give the token service's { url, key }",
        ])
        #expect(errors(yaml.replacingOccurrences(of: "HUB", with: "simulated").replacingOccurrences(of: "token_service: hub", with: "token_service: cloud")).first?
            .contains("token_service must be 'hub' (the simulated hub's token endpoint) or { url, key }, not 'cloud'") == true)
    }
}
