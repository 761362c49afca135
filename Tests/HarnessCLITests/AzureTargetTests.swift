import ArgumentParser
import Foundation
import IoTHubCore
import HarnessTestSupport
@testable import HarnessCLI
import NIOPosix
import Testing

/// The `azure://` target end to end against `harness hub`, which serves the real hub's MQTT
/// and service REST shapes: the device connects over TLS with a token minted from its
/// connection string, and C2D goes through the REST API or a command.
@Suite(.serialized) struct AzureTargetTests {
    static let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

    /// Starts `harness hub` in-process with esp8266 registered, and gives `body` its state.
    func withHub(_ body: (HubStateFile, String) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-azure-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let statePath = "\(folder)/state.json"
        let command = try #require(try HarnessCommand.parseAsRoot(["hub", "--device", "esp8266:\(Self.key)", "--port", "0", "--state-file", statePath]) as? Hub)
        let session = try await HubSession.start(try command.makeSettings(), group: MultiThreadedEventLoopGroup.singleton, log: HubLog(showsPackets: false) { _ in })
        do {
            try await body(try HubStateFile.read(from: statePath), folder)
        } catch {
            await session.stop()
            throw error
        }
        await session.stop()
    }

    /// Every file under `folder`, as text.
    func reportTexts(_ folder: String) -> String {
        let files = FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? []
        return files.compactMap { try? String(contentsOfFile: "\(folder)/\($0)", encoding: .isoLatin1) }.joined(separator: "\n")
    }

    @Test("c2d-led passes against harness hub as azure://: TLS with its CA, a minted token, C2D through the service REST API")
    func restPath() async throws {
        try await withHub { state, folder in
            let port = try #require(state.tlsPort)
            let ca = try #require(state.caCertificatePath)
            let device = try #require(state.devices["esp8266"])
            let service = "HostName=\(state.hostName);SharedAccessKeyName=\(state.policyName);SharedAccessKey=\(state.policyKey)"
            let hub = "azure://\(state.hostName)?address=127.0.0.1:\(port)&ca_file=\(ca)&service_url=\(state.serviceURL)"
            let output = try await ExternalTool.run("/usr/bin/env", [
                "IOTHUB_SERVICE_CONNECTION_STRING=\(service)", try HarnessBinary.path(), "run",
                Repository.root.appendingPathComponent("scenarios/c2d-led.yaml").path,
                "--hub", hub, "--device", "connection_string=\(device)", "--no-color",
                "--junit", "\(folder)/reports/junit.xml", "--reports", "\(folder)/reports",
            ])
            #expect(output.status == 0, "\(output.standardOutput)\n\(output.standardError)")
            let junit = try String(contentsOfFile: "\(folder)/reports/junit.xml", encoding: .utf8)
            #expect(junit.contains("<property name=\"hub\" value=\"azure://\(state.hostName)\"/>"), "\(junit.prefix(600))")
            #expect(output.standardOutput.contains("7 passed"), "\(output.standardOutput)")
            let everything = output.standardOutput + output.standardError + reportTexts("\(folder)/reports")
            #expect(everything.contains("CONNECT"))
            #expect(everything.contains(Self.key) == false, "the device key leaked")
            #expect(everything.contains(state.policyKey) == false, "the service policy key leaked")
        }
    }

    @Test("azure:// with only the host name finds the harness hub running on this machine (as harness send does): port, CA, service and device keys")
    func localHubDiscovery() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-azure-local-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // The state file where a harness hub writes it when XDG_RUNTIME_DIR is the folder.
        let statePath = "\(folder)/harness-hub/default.json"
        let command = try #require(try HarnessCommand.parseAsRoot(["hub", "--device", "esp8266:\(Self.key)", "--port", "0", "--state-file", statePath]) as? Hub)
        let session = try await HubSession.start(try command.makeSettings(), group: MultiThreadedEventLoopGroup.singleton, log: HubLog(showsPackets: false) { _ in })
        defer { Task { await session.stop() } }
        let output = try await ExternalTool.run("/usr/bin/env", [
            "XDG_RUNTIME_DIR=\(folder)", "IOTHUB_SERVICE_CONNECTION_STRING=", try HarnessBinary.path(), "run",
            Repository.root.appendingPathComponent("scenarios/c2d-led.yaml").path, "--hub", "azure://simulated.azure-devices.net",
            "--no-color", "--junit", "\(folder)/reports/junit.xml", "--reports", "\(folder)/reports",
        ])
        #expect(output.status == 0, "\(output.standardOutput)\n\(output.standardError)")
        #expect(output.standardOutput.contains("c2d-led: using the harness hub running on this machine"), "\(output.standardOutput)")
        #expect(output.standardOutput.contains("7 passed"))
        let state = try HubStateFile.read(from: statePath)
        let everything = output.standardOutput + output.standardError + reportTexts("\(folder)/reports")
        #expect(everything.contains(Self.key) == false && everything.contains(state.policyKey) == false)
        // Another host name is not this hub: without an address it would dial the real one,
        // so the run names what is missing for C2D instead.
        let other = try await ExternalTool.run("/usr/bin/env", [
            "XDG_RUNTIME_DIR=\(folder)", "IOTHUB_SERVICE_CONNECTION_STRING=", try HarnessBinary.path(), "run",
            Repository.root.appendingPathComponent("scenarios/c2d-led.yaml").path, "--hub", "azure://other.azure-devices.net",
            "--no-color", "--junit", "\(folder)/reports/other.xml", "--reports", "\(folder)/reports",
        ])
        #expect(other.status == 1)
        #expect(other.standardOutput.contains("needs a service connection string"), "\(other.standardOutput)")
    }

    @Test("C2D through a c2d_command (harness send standing in for az iot device c2d-message send); a failing command fails the step")
    func commandPath() async throws {
        try await withHub { state, folder in
            let port = try #require(state.tlsPort)
            let ca = try #require(state.caCertificatePath)
            let binary = try HarnessBinary.path()
            let scenario = """
                name: c2d-led-command
                hub:
                  kind: azure
                  hostname: \(state.hostName)
                  address: 127.0.0.1:\(port)
                  ca_file: \(ca)
                  c2d_command: [\(binary), send, --device, "$${DEVICE_ID}", --state-file, \(folder)/state.json, "$${PAYLOAD}"]
                device: { id: esp8266, key: "${KEY}" }
                secrets: [KEY]
                steps:
                  - connect: { clean_session: false, keepalive: 4000 }
                  - subscribe: devices/esp8266/messages/devicebound/#
                  - send: "on"
                  - expect: { led: on, within: 2s }
                  - send: "off"
                  - expect: { led: off, within: 2s }

                """
            try scenario.write(toFile: "\(folder)/command.yaml", atomically: true, encoding: .utf8)
            let failing = scenario.replacingOccurrences(of: "c2d_command: [\(binary), send", with: "c2d_command: [/bin/sh, -c, 'echo no route >&2; exit 3', send")
            try failing.write(toFile: "\(folder)/failing.yaml", atomically: true, encoding: .utf8)
            let output = try await HarnessBinary.run(["run", "command.yaml", "--secret", "KEY=\(Self.key)", "--no-color"], in: folder)
            #expect(output.status == 0, "\(output.standardOutput)\n\(output.standardError)")
            let failed = try await HarnessBinary.run(["run", "failing.yaml", "--secret", "KEY=\(Self.key)", "--no-color"], in: folder)
            #expect(failed.status == 1)
            #expect(failed.standardOutput.contains("expected c2d_command to exit 0, or to print the hub's refusal (ErrorCode:...); observed exit status 3: no route"), "\(failed.standardOutput)")
            // A step that expects a refusal fails too: a command that fails without the hub's
            // answer gives no verdict. One that prints the hub's error code is a refusal.
            func expecting(_ refused: String, command: String) -> String {
                scenario.replacingOccurrences(of: "c2d_command: [\(binary), send", with: "c2d_command: [/bin/sh, -c, '\(command)', send")
                    .replacingOccurrences(of: "  - send: \"on\"\n  - expect: { led: on, within: 2s }", with: "  - send: { payload: \"on\", refused: \(refused) }\n  - expect: { led: off, for: 200ms }")
                    .replacingOccurrences(of: "  - send: \"off\"\n", with: "").replacingOccurrences(of: "  - expect: { led: off, within: 2s }\n", with: "")
            }
            let hubAnswer = "echo \"{\\\"Message\\\":\\\"ErrorCode:MessageTooLarge;too big\\\"}\" >&2; exit 1"
            let cases = [
                ("no-verdict", expecting("true", command: "echo no route >&2; exit 3"), Int32(1)),
                ("refused", expecting("MessageTooLarge", command: hubAnswer), Int32(0)),
                ("other-code", expecting("DeviceNotFound", command: hubAnswer), Int32(1)),
            ]
            for (name, text, status) in cases {
                try text.write(toFile: "\(folder)/\(name).yaml", atomically: true, encoding: .utf8)
                let output = try await HarnessBinary.run(["run", "\(name).yaml", "--secret", "KEY=\(Self.key)", "--no-color"], in: folder)
                #expect(output.status == status, "\(name)\n\(text)\n\(output.standardOutput)")
                if name == "other-code" {
                    #expect(output.standardOutput.contains("expected the hub to refuse the message with DeviceNotFound; observed it refused: c2d_command: exit status 1"), "\(output.standardOutput)")
                }
            }
        }
    }

    @Test("refusals through the service REST API: the hub's error code is compared with 'refused', and acceptance of a message meant to be refused fails")
    func restRefusals() async throws {
        try await withHub { state, folder in
            let port = try #require(state.tlsPort)
            let ca = try #require(state.caCertificatePath)
            let service = "HostName=\(state.hostName);SharedAccessKeyName=\(state.policyName);SharedAccessKey=\(state.policyKey)"
            func scenario(_ sends: String) -> String {
                """
                name: refusals
                hub: "azure://\(state.hostName)?address=127.0.0.1:\(port)&ca_file=\(ca)&service_url=\(state.serviceURL)"
                device: { id: esp8266, key: "\(Self.key)" }
                steps:
                  - connect: { clean_session: false, keepalive: 60 }
                \(sends)
                """
            }
            let passing = scenario("""
                  - send: { payload: x, payload_size: 65536 }
                  - send: { payload: x, payload_size: 65537, refused: MessageTooLarge }
                """)
            let wrongCode = scenario("  - send: { payload: x, payload_size: 65537, refused: DeviceNotFound }\n")
            let accepted = scenario("  - send: { payload: x, refused: true }\n")
            var outputs: [String] = []
            for (name, text) in [("passing", passing), ("wrong-code", wrongCode), ("accepted", accepted)] {
                try text.write(toFile: "\(folder)/\(name).yaml", atomically: true, encoding: .utf8)
                let output = try await ExternalTool.run("/usr/bin/env", [
                    "IOTHUB_SERVICE_CONNECTION_STRING=\(service)", try HarnessBinary.path(), "run", "\(folder)/\(name).yaml", "--no-color",
                    "--junit", "\(folder)/\(name).xml", "--reports", "\(folder)/reports",
                ])
                #expect(output.status == (name == "passing" ? 0 : 1), "\(name): \(output.standardOutput)\n\(output.standardError)")
                outputs.append(output.standardOutput)
            }
            #expect(outputs[0].contains("3 passed"), "\(outputs[0])")
            #expect(outputs[1].contains("expected the hub to refuse the message with DeviceNotFound; observed it refused: HTTP 413 MessageTooLarge"), "\(outputs[1])")
            #expect(outputs[2].contains("expected the hub to refuse the message; observed it accepted it"), "\(outputs[2])")
            #expect(outputs.joined().contains("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") == false, "a 64 KB payload was printed whole")
            // Wrong service credentials are no verdict: 'refused: true' fails on a 401.
            let wrongKey = "HostName=\(state.hostName);SharedAccessKeyName=\(state.policyName);SharedAccessKey=\(Self.key)"
            let unauthorised = try await ExternalTool.run("/usr/bin/env", [
                "IOTHUB_SERVICE_CONNECTION_STRING=\(wrongKey)", try HarnessBinary.path(), "run", "\(folder)/accepted.yaml", "--no-color",
                "--junit", "\(folder)/unauthorised.xml", "--reports", "\(folder)/reports",
            ])
            #expect(unauthorised.status == 1)
            #expect(unauthorised.standardOutput.contains("expected the service API to accept or refuse the message; observed HTTP 401"), "\(unauthorised.standardOutput)")
        }
    }
}
