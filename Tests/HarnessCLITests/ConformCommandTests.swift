import Foundation
import HarnessTestSupport
@testable import HarnessCLI
import Scenario
import Testing

/// `harness conform` as a user runs it: the binary against a Mosquitto, from the repository root.
@Suite(.serialized) struct ConformCommandTests {
    func temporaryFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-conform-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test("harness conform: the MQTT pack against Mosquitto prints the statement table, exit 0; JUnit names the statements")
    func passes() async throws {
        let broker = try await Mosquitto.start(deniedSubscriptions: ["harness/conform/denied/#"])
        defer { broker.stop() }
        let folder = try temporaryFolder()
        let junit = folder + "/conformance.xml"
        let output = try await HarnessBinary.run(
            ["conform", "mqtt://127.0.0.1:\(broker.port)", "--junit", junit, "--reports", folder + "/reports", "--deadline-scale", "3", "--no-color"],
            in: CommandTests.root.path
        )
        #expect(output.status == 0, "\(output.standardOutput)\(output.standardError)")
        let lines = output.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("statement") && $0.contains("result") && $0.contains("scenarios") })
        #expect(lines.contains { $0.hasPrefix("MQTT-3.1.0-2") && $0.contains("pass") && $0.contains("mqtt-second-connect") })
        #expect(lines.contains { $0.hasPrefix("MQTT-4.4.0-1") && $0.contains("pass") && $0.contains("mqtt-redelivery-on-reconnect") })
        #expect(!lines.contains { $0.contains("FAIL") })
        #expect(lines.last?.hasSuffix("passed, 0 failed") == true)
        #expect(output.standardOutput.contains("\u{1B}[") == false, "--no-color")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("name=\"[MQTT-3.1.0-2 MQTT-4.8.0-1] 01 send_bytes"))
    }

    @Test("harness conform: a failing statement is listed as FAIL and exits 1")
    func fails() async throws {
        // A plain broker grants every subscription, so the subscribe-failure case fails.
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        let folder = try temporaryFolder()
        let packFolder = folder + "/pack"
        try FileManager.default.createDirectory(atPath: packFolder, withIntermediateDirectories: true)
        let source = CommandTests.path("scenarios/conformance/mqtt-3.1.1")
        for name in ["subscribe-failure.yaml", "malformed-second-connect.yaml"] {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: packFolder + "/" + name)
        }
        let output = try await HarnessBinary.run(
            ["conform", "mqtt://127.0.0.1:\(broker.port)", "--pack", packFolder, "--junit", folder + "/j.xml", "--reports", folder + "/reports"],
            in: folder
        )
        #expect(output.status == 1, "\(output.standardOutput)\(output.standardError)")
        let lines = output.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("MQTT-3.9.3-1") && $0.contains("FAIL") })
        #expect(lines.contains { $0.hasPrefix("MQTT-3.1.0-2") && $0.contains("pass") })
    }

    @Test(
        "harness conform: bad input exits 2",
        arguments: [
            ["conform", "http://127.0.0.1:1883"],
            ["conform", "mqtt://127.0.0.1:1883", "--pack", "/no/such/pack"],
            ["conform"],
        ]
    )
    func badInput(arguments: [String]) async {
        #expect(await HarnessCommand.runMain(arguments: arguments) == 2)
    }

    @Test("harness conform: the default pack is relative to the working directory; missing, it says so")
    func missingDefaultPack() async throws {
        let folder = try temporaryFolder()
        let output = try await HarnessBinary.run(["conform", "mqtt://127.0.0.1:1883"], in: folder)
        #expect(output.status == 2)
        #expect(output.standardError.contains("no conformance pack at 'scenarios/conformance/mqtt-3.1.1'"))
    }

    @Test("statement ids sort numerically, the standard's misspelt MQTT-3-8.3-4 included")
    func ordering() {
        let ids = ["MQTT-3.1.2-13", "MQTT-3.1.2-4", "MQTT-3.8.4-1", "MQTT-3-8.3-4", "MQTT-3.8.3-3", "IOTHUB-X"]
        #expect(ids.sorted(by: StatementVerdicts.precedes) == ["MQTT-3-8.3-4", "MQTT-3.1.2-4", "MQTT-3.1.2-13", "MQTT-3.8.3-3", "MQTT-3.8.4-1", "IOTHUB-X"].sorted(by: StatementVerdicts.precedes))
        #expect(StatementVerdicts.precedes("MQTT-3.1.2-4", "MQTT-3.1.2-13"))
    }
}
