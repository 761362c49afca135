import ArgumentParser
import Foundation
@testable import HarnessCLI
import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// `harness hub` and `harness send` in-process, over real loopback sockets.
@Suite(.serialized) struct HubCommandTests {
    static let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

    func temporaryFolder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("harness-hub-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Starts a hub from `harness hub` flags, runs `body`, stops it.
    func withHub(_ arguments: [String], _ body: (HubSession, [String]) async throws -> Void) async throws {
        let command = try #require(try HarnessCommand.parseAsRoot(["hub"] + arguments) as? Hub)
        let lines = LineSink()
        let log = HubLog(showsPackets: true) { lines.append($0) }
        let session = try await HubSession.start(try command.makeSettings(), group: MultiThreadedEventLoopGroup.singleton, log: log)
        do {
            try await body(session, lines.all)
        } catch {
            await session.stop()
            throw error
        }
        await session.stop()
    }

    @Test("hub: devices from flags and a file, connection strings with GatewayHostName=localhost, a 0600 state file removed at stop")
    func startAndState() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("# bench devices\nesp8266:\(Self.key)\n\nsensor-2   # random key\n".utf8).write(to: URL(fileURLWithPath: "\(folder)/devices.txt"))
        let statePath = "\(folder)/state/default.json"
        try await withHub(["--devices-file", "\(folder)/devices.txt", "--device", "extra", "--port", "0", "--state-file", statePath]) { session, _ in
            let attributes = try FileManager.default.attributesOfItem(atPath: statePath)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let state = try HubStateFile.read(from: statePath)
            #expect(Set(state.devices.keys) == ["esp8266", "sensor-2", "extra"])
            #expect(state.devices["esp8266"] == "HostName=simulated.azure-devices.net;DeviceId=esp8266;SharedAccessKey=\(Self.key);GatewayHostName=localhost")
            #expect(state.caCertificatePath == "\(folder)/state/ca.pem")
            #expect(session.endpoints.plainPort == nil)
            let banner = session.banner(showKeys: false).joined(separator: "\n")
            #expect(banner.contains("DeviceId=esp8266;SharedAccessKey=***;GatewayHostName=localhost"))
            #expect(banner.contains(Self.key) == false)
            #expect(banner.contains("\(folder)/state/ca.pem"))
            // The generated token service key is masked too, and said where to find it.
            let serviceKey = try #require(state.tokenServiceKey)
            #expect(!banner.contains(serviceKey))
            #expect(banner.contains("token service key:     *** (in the state file; --show-keys prints it)"))
            #expect(banner.contains("while throttling:      CONNECT refused with CONNACK 5 (not_authorized); --throttle-connack sets 3 or 5"))
            let shown = session.banner(showKeys: true).joined(separator: "\n")
            #expect(shown.contains("SharedAccessKey=\(Self.key)") && shown.contains("token service key:     \(serviceKey)"))
        }
        #expect(FileManager.default.fileExists(atPath: statePath) == false)
    }

    @Test("hub: a device connects over TLS with its connection string; the log shows the packets with secrets masked")
    func logsMasked() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let lines = LineSink()
        let command = try #require(try HarnessCommand.parseAsRoot(["hub", "--device", "esp8266:\(Self.key)", "--port", "0", "--state-file", "\(folder)/s.json"]) as? Hub)
        let log = HubLog(showsPackets: true) { lines.append($0) }
        let session = try await HubSession.start(try command.makeSettings(), group: MultiThreadedEventLoopGroup.singleton, log: log)
        let port = try #require(session.endpoints.tlsPort)
        let client = try await MQTTTestClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton, tls: .init(trustedCAPath: session.endpoints.caCertificatePath))
        let credentials = IoTHubCredentials.device(
            try DeviceID("esp8266"), hostName: "simulated.azure-devices.net", key: try DeviceKey(base64: Self.key), expiry: session.hub.now().unixSeconds + 60
        )
        try await client.send(.connect(ConnectPacket(clientID: credentials.clientID, cleanSession: true, keepAlive: 60, username: credentials.username, password: ByteBuffer(string: credentials.password))))
        #expect(await client.receive() == .connack(ConnAckPacket(returnCode: .accepted)))
        await client.close()
        try await Task.sleep(for: .milliseconds(100))
        await session.stop()
        let text = lines.all.joined(separator: "\n")
        #expect(text.contains("<- CONNECT client_id=esp8266"))
        #expect(text.contains("-> CONNACK session_present=0 return_code=0"))
        #expect(text.contains("esp8266 connected"))
        #expect(text.contains(Self.key) == false)
        #expect(text.contains(String(credentials.password.split(separator: "&")[1])) == false)
    }

    @Test("send finds the local hub through its state file; the message waits in the device's queue")
    func sendThroughStateFile() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let statePath = "\(folder)/default.json"
        let esp = try DeviceID("esp8266")
        try await withHub(["--device", "esp8266", "--port", "0", "--state-file", statePath]) { session, _ in
            let code = await HarnessCommand.runMain(arguments: ["send", "--device", "esp8266", "on", "--state-file", statePath, "--property", "color=red", "--message-id", "m1"])
            #expect(code == 0)
            let depth = try await session.hub.queueDepth(of: esp)
            #expect(depth == 1)
            // The property name keeps its case on the way (HTTP/1.1 from NIO, not a client that
            // capitalises header names).
            let client = try await MQTTTestClient.connect(port: try #require(session.endpoints.tlsPort), group: MultiThreadedEventLoopGroup.singleton, tls: .init(trustedCAPath: session.endpoints.caCertificatePath))
            let key = try #require(try await session.hub.device(esp)).primaryKey
            let credentials = IoTHubCredentials.device(esp, hostName: "simulated.azure-devices.net", key: key, expiry: session.hub.now().unixSeconds + 60)
            try await client.send(.connect(ConnectPacket(clientID: "esp8266", cleanSession: false, keepAlive: 60, username: credentials.username, password: ByteBuffer(string: credentials.password))))
            _ = await client.receive()
            try await client.send(.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: topicFilter("#"), qos: .atMostOnce)])))
            _ = await client.receive()
            guard case .publish(let delivered) = await client.receive() else {
                Issue.record("no C2D")
                return
            }
            #expect(delivered.topic.string.hasSuffix("&color=red"), "\(delivered.topic)")
            await client.close()
            #expect(await HarnessCommand.runMain(arguments: ["send", "--device", "ghost", "on", "--state-file", statePath]) == 1)
            // The same through --hub and a service connection string.
            let connection = "HostName=simulated.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey=\(session.owner.primaryKey.base64)"
            #expect(await HarnessCommand.runMain(arguments: ["send", "--device", "esp8266", "off", "--hub", session.serviceURL, "--connection-string", connection]) == 0)
            let depthAfter = try await session.hub.queueDepth(of: esp)
            #expect(depthAfter == 1)
            let wrongKey = "HostName=simulated.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey=\(Self.key)"
            #expect(await HarnessCommand.runMain(arguments: ["send", "--device", "esp8266", "x", "--hub", session.serviceURL, "--connection-string", wrongKey]) == 1)
        }
    }

    @Test(
        "bad hub and send flags exit 2",
        arguments: [
            ["hub", "--port", "70000"],
            ["hub", "--cert", "/no/such.pem"],
            ["hub", "--device", "bad id"],
            ["hub", "--device", "d:not base64!"],
            ["hub", "--ca", "/etc/hostname"],
            ["hub", "--devices-file", "/no/such/devices.txt"],
            ["hub", "--token-service-key", "short"],
            ["hub", "--cert-name", "bad_name!"],
            ["hub", "--token-grace", "60s"],
            ["hub", "--token-skew", "1500ms"],
            ["hub", "--token-skew", "soon"],
            ["hub", "--token-skew", "-5s"],
            ["hub", "--token-grace", "9000d"],
            ["hub", "--throttle-connack", "4"],
            ["bench", "faults", "--messages", "0"],
            ["bench", "soak", "--duration", "1s"],
            ["hub", "--cert-name", "-lead.example"],
            ["hub", "--cert-name", "board.local", "--cert", "/etc/hostname", "--key", "/etc/hostname"],
            ["send", "--device", "d"],
            ["send", "--device", "d", "on", "--hub", "http://127.0.0.1:1"],
            ["send", "--device", "d", "on", "--ack", "always"],
            ["send", "--device", "d", "on", "--property", "novalue"],
            ["send", "--device", "d", "on", "--ttl", "10s"],
            ["send", "--device", "bad id", "on", "--state-file", "/no/such/state.json"],
            ["send", "--device", "d", "on", "--state-file", "/no/such/state.json"],
            ["send", "--device", "d", "on", "--connection-string", "HostName=h;DeviceId=d;SharedAccessKey=AAAA"],
        ]
    )
    func badFlags(arguments: [String]) async {
        #expect(await HarnessCommand.runMain(arguments: arguments) == 2)
    }

    @Test("hub: the generated CA is kept beside the state file, so a restart serves a new certificate from the same CA, for every --cert-name")
    func persistentCA() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let statePath = "\(folder)/default.json"
        let flags = ["--device", "esp8266:\(Self.key)", "--port", "0", "--state-file", statePath, "--cert-name", "board-hub.local", "--cert-name", "127.0.0.2"]
        var caTexts: [String] = []
        for _ in 0..<2 {
            try await withHub(flags) { session, _ in
                let ca = try #require(session.endpoints.caCertificatePath)
                caTexts.append(try String(contentsOfFile: ca, encoding: .utf8))
                let keyAttributes = try FileManager.default.attributesOfItem(atPath: "\(folder)/ca-key.pem")
                #expect((keyAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
                let port = try #require(session.endpoints.tlsPort)
                // OpenSSL checks the served certificate against the kept CA for the name a
                // board dials (NIO's client would accept any name on 127.0.0.1, which is in the
                // certificate too); a name not given fails.
                for (check, name, verifies) in [
                    ("-verify_hostname", "board-hub.local", true), ("-verify_hostname", "localhost", true), ("-verify_ip", "127.0.0.2", true),
                    ("-verify_hostname", "other.local", false), ("-verify_ip", "127.0.0.3", false),
                ] {
                    let output = try await ExternalTool.run("/usr/bin/openssl", [
                        "s_client", "-connect", "127.0.0.1:\(port)", "-CAfile", ca, check, name, "-verify_return_error", "-brief",
                    ], timeout: .seconds(20))
                    #expect((output.status == 0) == verifies, "\(name): \(output.standardError)")
                }
            }
        }
        #expect(caTexts.count == 2 && caTexts[0] == caTexts[1] && caTexts[0].contains("BEGIN CERTIFICATE"))
        #expect(CertificateNames(extra: ["board.local", "10.0.0.7", "10.0.0.7", "BOARD.local"], listeningOn: "192.168.1.20") == CertificateNames(extra: ["192.168.1.20", "board.local", "10.0.0.7"], listeningOn: "0.0.0.0"))
        #expect(CertificateNames(extra: [], listeningOn: "not a host!") == CertificateNames(extra: [], listeningOn: "127.0.0.1"))
        let names = CertificateNames(extra: ["board.local", "::1"], listeningOn: "::")
        #expect(names.dnsNames == ["localhost", "board.local"] && names.ipAddresses == ["127.0.0.1", "::1"])
        // Listening on every interface: every address of the machine goes in.
        let everywhere = CertificateNames(extra: [], listeningOn: "0.0.0.0", interfaceAddresses: ["127.0.0.1", "192.168.1.20", "2001:db8::7"])
        #expect(everywhere.ipAddresses == ["127.0.0.1", "192.168.1.20", "2001:db8::7"])
        let local = CertificateNames.localInterfaceAddresses()
        #expect(local.contains("127.0.0.1"), "\(local)")
        #expect(local.allSatisfy { CertificateNames.isIPAddress($0) && !$0.hasPrefix("fe80") })
        #expect(CertificateNames.isDNSName("*.example.com") && !CertificateNames.isDNSName("a..b") && !CertificateNames.isDNSName(String(repeating: "a", count: 64)))
    }

    @Test("a devices file with mistakes is refused with file:line for each")
    func devicesFileErrors() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = "\(folder)/devices.txt"
        try Data("good\nbad id\nother:???\n".utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: InvalidInput.self) { try DeviceArgument.readFile(path) }
        #expect(error?.description.contains("\(path):2: error: invalid device id 'bad id'") == true, "\(String(describing: error))")
        #expect(error?.description.contains("\(path):3: error: device 'other'") == true)
        let command = try #require(try HarnessCommand.parseAsRoot(["hub", "--device", "a", "--device", "a"]) as? Hub)
        #expect(throws: InvalidInput.self) { try command.makeSettings() }
    }

    @Test("harness hub stops cleanly on SIGINT and SIGTERM and removes its state file", arguments: [SIGINT, SIGTERM])
    func signals(signal: Int32) async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let statePath = "\(folder)/default.json"
        let process = Process()
        process.executableURL = HarnessBinary.url
        process.arguments = ["hub", "--device", "esp8266", "--port", "0", "--state-file", statePath, "--quiet"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let deadline = ContinuousClock.now + .seconds(20)
        while !FileManager.default.fileExists(atPath: statePath), ContinuousClock.now < deadline, process.isRunning {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(FileManager.default.fileExists(atPath: statePath), "the hub did not start")
        kill(process.processIdentifier, signal)
        let exited = await HarnessBinary.wait(for: process, timeout: .seconds(10))
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(exited, "still running after the signal")
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("stopping"))
        #expect(FileManager.default.fileExists(atPath: statePath) == false)
    }
}

/// Collects log lines.
final class LineSink: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

