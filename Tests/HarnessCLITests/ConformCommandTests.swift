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

    @Test("harness conform: the MQTT pack against Mosquitto matches its verdicts file, exit 0; the table names the failing step and why; one closing line; JUnit names the statements per step")
    func passes() async throws {
        let broker = try await Mosquitto.start(deniedSubscriptions: ["harness/conform/denied/#"])
        defer { broker.stop() }
        let folder = try temporaryFolder()
        let junit = folder + "/conformance.xml"
        let output = try await HarnessBinary.run(
            ["conform", "mqtt://127.0.0.1:\(broker.port)", "--expect", "scenarios/conformance/mqtt-3.1.1/brokers/mosquitto/verdicts.yaml",
             "--junit", junit, "--reports", folder + "/reports", "--deadline-scale", "2", "--no-color"],
            in: CommandTests.root.path
        )
        #expect(output.status == 0, "\(output.standardOutput)\(output.standardError)")
        let lines = output.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("statement") && $0.contains("result") && $0.contains("decided by") })
        #expect(lines.contains { $0.hasPrefix("MQTT-3.1.0-2 ") && $0.contains(" pass ") && $0.contains("mqtt-second-connect") })
        #expect(lines.contains { $0.hasPrefix("MQTT-3.8.4-6 ") && $0.contains(" pass ") && $0.contains("mqtt-delivery-qos") })
        // The failure: the statement, the scenario, the step, its place, and the one-line reason.
        #expect(lines.contains {
            $0.hasPrefix("MQTT-3.3.5-1 ") && $0.contains(" FAIL ")
                && $0.contains("mqtt-overlapping-subscriptions step 5 (overlapping-subscriptions.yaml:16:5): expected packet PUBLISH to_device")
                && $0.contains("observed other PUBLISHs: PUBLISH to_device id=1 qos=1")
        })
        // One closing line, about statements; no line of step counts.
        #expect(lines.contains { $0.first?.isNumber == true && $0.contains("of the 141 MQTT 3.1.1 statements checked: ") && $0.contains(" pass, 1 fail, 0 n/a, 0 not reached") }, "\(lines.suffix(3))")
        #expect(!lines.contains { $0.contains(" passed, ") && $0.contains(" failed") })
        #expect(lines.last == "the verdicts match scenarios/conformance/mqtt-3.1.1/brokers/mosquitto/verdicts.yaml (Mosquitto 2.0.11 (Debian 12 package mosquitto))")
        #expect(output.standardOutput.contains("\u{1B}[") == false, "--no-color")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("name=\"[MQTT-3.1.0-2 MQTT-4.8.0-1] 04 expect disconnected within 2s\""))
        #expect(xml.contains("name=\"01 connect clean_session=true keepalive=60\""))
        #expect(xml.contains("name=\"[MQTT-3.3.5-1] 05 expect packet PUBLISH"))
    }

    @Test("harness conform: a failing statement is FAIL with its step, a spec-permitted branch n/a with its reason, exit 1; against a verdicts file the differences are listed")
    func fails() async throws {
        // A plain broker grants every subscription: subscribe-failure does not apply.
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        let folder = try temporaryFolder()
        let packFolder = folder + "/pack"
        try FileManager.default.createDirectory(atPath: packFolder, withIntermediateDirectories: true)
        let source = CommandTests.path("scenarios/conformance/mqtt-3.1.1")
        for name in ["subscribe-failure.yaml", "malformed-second-connect.yaml", "overlapping-subscriptions.yaml"] {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: packFolder + "/" + name)
        }
        let arguments = ["conform", "mqtt://127.0.0.1:\(broker.port)", "--pack", packFolder, "--junit", folder + "/j.xml", "--reports", folder + "/reports"]
        let output = try await HarnessBinary.run(arguments, in: folder)
        #expect(output.status == 1, "\(output.standardOutput)\(output.standardError)")
        let lines = output.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("MQTT-3.3.5-1 ") && $0.contains("FAIL") && $0.contains("mqtt-overlapping-subscriptions step 5") })
        #expect(lines.contains { $0.hasPrefix("MQTT-3.8.4-5 ") && $0.contains(" n/a ") && $0.contains("the broker granted harness/conform/denied/deep/#") })
        #expect(lines.contains { $0.hasPrefix("MQTT-3.1.0-2 ") && $0.contains("pass") })
        // Against Mosquitto's file (set up to deny): the not-applicable statement is a difference.
        let compared = try await HarnessBinary.run(arguments + ["--expect", CommandTests.path("scenarios/conformance/mqtt-3.1.1/brokers/mosquitto/verdicts.yaml")], in: folder)
        #expect(compared.status == 1)
        #expect(compared.standardOutput.contains("the verdicts differ from"))
        #expect(compared.standardOutput.contains("MQTT-3.8.4-5: the file says pass, the run says n/a (mqtt-subscribe-failure step 5"))
        #expect(compared.standardOutput.contains("MQTT-3.9.3-2: the file says pass, the run says n/a"))
        // A verdicts file that is not one: exit 2, naming the file.
        try "broker: x\nfails:\n  - statement: MQTT-3.1.2-99\n    instead: y\n".write(toFile: folder + "/bad.yaml", atomically: true, encoding: .utf8)
        let bad = try await HarnessBinary.run(arguments + ["--expect", folder + "/bad.yaml"], in: folder)
        #expect(bad.status == 2)
        #expect(bad.standardError.split(separator: "\n").contains { $0.hasPrefix(folder + "/bad.yaml:3:16: error: 'MQTT-3.1.2-99' is not a normative statement of MQTT 3.1.1") }, "\(bad.standardError)")
    }

    @Test(
        "harness conform: bad input exits 2",
        arguments: [
            ["conform", "http://127.0.0.1:1883"],
            ["conform", "mqtt://127.0.0.1:1883", "--pack", "/no/such/pack"],
            ["conform"],
            ["conform", "mqtt://127.0.0.1:1883", "--protocol", "6"],
            ["conform", "mqtt://127.0.0.1:1883", "--protocol", ""],
            ["conform", "mqtt://127.0.0.1:1883", "--protocol", "all", "--pack", "scenarios/conformance/mqtt-5.0"],
            ["conform", "mqtt://127.0.0.1:1883", "--protocol", "all", "--expect", "scenarios/conformance/mqtt-5.0/brokers/mosquitto/verdicts.yaml"],
            ["conform", "mqtt://127.0.0.1:1883", "--protocol", "5", "--pack", "scenarios/conformance/mqtt-3.1.1"],
            ["conform", "mqtt://127.0.0.1:1883", "--protocol", "3.1.1", "--pack", "scenarios/conformance/mqtt-5.0"],
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

    @Test("harness conform --protocol: a value it does not know is a plain error naming the ones it takes, exit 2")
    func badProtocol() async throws {
        let output = try await HarnessBinary.run(["conform", "mqtt://127.0.0.1:1883", "--protocol", "3"], in: CommandTests.root.path)
        #expect(output.status == 2)
        #expect(output.standardError.contains("--protocol takes 3.1.1, 5 or all, not '3'"), "\(output.standardError)")
        #expect(!output.standardError.contains("ConformProtocol"))
    }

    @Test("harness conform --protocol 5: MQTT 5.0 scenarios against Mosquitto set up as the pack's brokers/mosquitto says: statements counted against MQTT 5.0, a deviation FAIL with its step, exit 1; the same pack with --pack alone is taken as MQTT 5.0")
    func protocol5() async throws {
        let broker = try await Mosquitto.startForPack("mqtt-5.0")
        defer { broker.stop() }
        let folder = try temporaryFolder()
        let packFolder = folder + "/pack"
        try FileManager.default.createDirectory(atPath: packFolder, withIntermediateDirectories: true)
        let source = CommandTests.path("scenarios/conformance/mqtt-5.0")
        for name in ["malformed-no-local-shared.yaml", "malformed-pubrel-flags.yaml", "message-properties.yaml"] {
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: packFolder + "/" + name)
        }
        for arguments in [["--protocol", "5"], []] {
            let output = try await HarnessBinary.run(
                ["conform", "mqtt://127.0.0.1:\(broker.port)", "--pack", packFolder, "--junit", folder + "/j.xml", "--reports", folder + "/reports", "--deadline-scale", "2", "--no-color"] + arguments,
                in: folder
            )
            #expect(output.status == 1, "\(output.standardOutput)\(output.standardError)")
            let lines = output.standardOutput.split(separator: "\n").map(String.init)
            #expect(lines.contains { $0.contains(" of the 251 MQTT 5.0 statements checked: ") && $0.contains(" 2 fail, ") }, "\(lines.suffix(3))")
            #expect(lines.contains { $0.hasPrefix("MQTT-3.8.3-4 ") && $0.contains(" FAIL ") && $0.contains("mqtt5-malformed-no-local-shared step 4") })
            #expect(lines.contains { $0.hasPrefix("MQTT-3.3.2-18 ") && $0.contains(" pass ") && $0.contains("mqtt5-message-properties") })
            let xml = try String(contentsOfFile: folder + "/j.xml", encoding: .utf8)
            #expect(xml.contains("name=\"[MQTT-3.6.1-1] 04 expect disconnected within 2s\""))
        }
    }

    @Test("harness conform --expect with the MQTT 5.0 verdicts file but no --protocol 5: exit 2, the file's errors and the flag to give")
    func verdictsOfTheOtherStandard() async throws {
        let output = try await HarnessBinary.run(
            ["conform", "mqtt://127.0.0.1:1", "--expect", "scenarios/conformance/mqtt-5.0/brokers/mosquitto/verdicts.yaml"],
            in: CommandTests.root.path
        )
        #expect(output.status == 2)
        #expect(output.standardError.contains("verdicts.yaml:16:16: error: 'MQTT-3.8.3-4' is not a normative statement of MQTT 3.1.1"), "\(output.standardError)")
        #expect(output.standardError.contains("error: scenarios/conformance/mqtt-5.0/brokers/mosquitto/verdicts.yaml holds MQTT 5.0 statements; give --protocol 5"), "\(output.standardError)")
    }

    @Test("harness conform --protocol all: both shipped packs, a table and a closing line per standard, one JUnit file; nothing reachable fails them, exit 1")
    func protocolAll() async throws {
        let folder = try temporaryFolder()
        let output = try await HarnessBinary.run(
            ["conform", "mqtt://127.0.0.1:1", "--protocol", "all", "--junit", folder + "/j.xml", "--reports", folder + "/reports", "--no-color"],
            in: CommandTests.root.path,
            timeout: .seconds(300)
        )
        #expect(output.status == 1, "\(output.standardOutput)\(output.standardError)")
        let lines = output.standardOutput.split(separator: "\n").map(String.init)
        let first = try #require(lines.firstIndex(of: "MQTT 3.1.1 (scenarios/conformance/mqtt-3.1.1):"))
        let second = try #require(lines.firstIndex(of: "MQTT 5.0 (scenarios/conformance/mqtt-5.0):"))
        #expect(first < second)
        #expect(lines.contains { $0.contains(" of the 141 MQTT 3.1.1 statements checked: ") && $0.contains("(45 scenarios") })
        #expect(lines.contains { $0.contains(" of the 251 MQTT 5.0 statements checked: ") })
        let xml = try String(contentsOfFile: folder + "/j.xml", encoding: .utf8)
        #expect(xml.contains("name=\"mqtt-basic\"") && xml.contains("name=\"mqtt5-basic\""))
    }

    @Test("statement ids sort numerically")
    func ordering() {
        #expect(["MQTT-3.1.2-13", "MQTT-3.10.1-1", "MQTT-3.1.2-4", "MQTT-3.8.4-1"].sorted(by: StatementVerdicts.precedes) == ["MQTT-3.1.2-4", "MQTT-3.1.2-13", "MQTT-3.8.4-1", "MQTT-3.10.1-1"])
    }
}
