import ArgumentParser
import Foundation
import HarnessTestSupport
@testable import HarnessCLI
import Scenario
import Testing

@Suite(.serialized) struct CommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("harness-cli-\(UUID().uuidString)").appendingPathComponent(name).path
    }

    @Test("harness sas reproduces the documented test vector")
    func sasVector() throws {
        let command = try HarnessCommand.parseAsRoot([
            "sas", "--hub", "myhub.azure-devices.net", "--device", "esp8266",
            "--key", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "--expiry", "1574590568",
        ])
        let sas = try #require(command as? SAS)
        #expect(
            try sas.makeToken(now: Date())
                == "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fesp8266&sig=u7eiObO3d1jxFz%2FkohgM1vOPyIzcLYdGKgTgqvgEUMU%3D&se=1574590568"
        )
    }

    @Test("harness sas --ttl counts from now")
    func sasTTL() throws {
        let command = try HarnessCommand.parseAsRoot(["sas", "--hub", "h", "--device", "d", "--key", "AAAA", "--ttl", "1h"])
        let sas = try #require(command as? SAS)
        #expect(try sas.makeToken(now: Date(timeIntervalSince1970: 1000)).hasSuffix("&se=4600"))
    }

    @Test(
        "bad flags and values exit 2",
        arguments: [
            ["sas", "--hub", "h", "--device", "d", "--key", "AAAA", "--ttl", "soon"],
            ["sas", "--hub", "h", "--device", "d", "--key", "AAAA", "--ttl", "1h", "--expiry", "5"],
            ["sas", "--hub", "h", "--device", "bad id", "--key", "AAAA"],
            ["sas", "--hub", "h", "--device", "d", "--key", "not base64!"],
            ["run", "--bogus", "x.yaml"],
            ["run"],
            ["run", "no/such/file.yaml"],
            ["run", "scenarios/c2d-led.yaml", "--jobs", "0"],
            ["run", "scenarios/c2d-led.yaml", "--jobs=-2"],
            ["run", "scenarios/c2d-led.yaml", "--jobs", "many"],
            ["frobnicate"],
        ]
    )
    func badInput(arguments: [String]) async {
        #expect(await HarnessCommand.runMain(arguments: arguments) == 2)
    }

    @Test("harness validate: 0 for valid files, 2 with diagnostics for broken ones")
    func validate() async {
        #expect(await HarnessCommand.runMain(arguments: ["validate", Self.path("scenarios/c2d-led.yaml")]) == 0)
        #expect(await HarnessCommand.runMain(arguments: ["validate", Self.path("Tests/ScenarioTests/Fixtures/many-mistakes.yaml")]) == 2)
    }

    @Test("harness schema --output writes the schema made from the vocabulary, the repository's copy; an unwritable path exits 2")
    func schema() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("scenario.schema.json").path
        #expect(await HarnessCommand.runMain(arguments: ["schema", "--output", output]) == 0)
        let written = try String(contentsOfFile: output, encoding: .utf8)
        #expect(written == ScenarioSchema.text)
        #expect(written == (try String(contentsOfFile: Self.path(ScenarioSchema.repositoryPath), encoding: .utf8)))
        #expect(await HarnessCommand.runMain(arguments: ["schema", "--output", folder.appendingPathComponent("missing/schema.json").path]) == 2)
    }

    @Test("harness run: exit 0 and a schema-valid JUnit file for the seed scenario")
    func runPasses() async throws {
        let junit = temporaryPath("junit.xml")
        #expect(await HarnessCommand.runMain(arguments: ["run", Self.path("scenarios/c2d-led.yaml"), "--junit", junit, "--reports", (junit as NSString).deletingLastPathComponent, "--no-color", "--deadline-scale", "10"]) == 0)
        try await JUnitSchema.validate(fileAt: junit)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("name=\"latency.step-05.ms\""))
        #expect(xml.contains("name=\"roundtrip.connect-connack.ms\""))
        #expect(xml.contains("<failure") == false)
    }

    @Test("harness run: exit 1 and a <failure> naming expected and observed when an expectation cannot hold")
    func runFails() async throws {
        let junit = temporaryPath("junit.xml")
        let code = await HarnessCommand.runMain(arguments: ["run", Self.path("Tests/ScenarioTests/Fixtures/led-on-after-off.yaml"), "--junit", junit, "--reports", (junit as NSString).deletingLastPathComponent, "--quiet"])
        #expect(code == 1)
        try await JUnitSchema.validate(fileAt: junit)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("<failure message=\"expected led on within 200ms of step 3; observed LED written off at +"))
        #expect(xml.contains("<skipped message=\"step 4 failed\"/>"))
    }

    @Test("harness run refuses to run anything when one file is broken, and reports every file's problems")
    func runRefusesBrokenSet() async throws {
        let junit = temporaryPath("junit.xml")
        let code = await HarnessCommand.runMain(arguments: [
            "run", Self.path("scenarios/c2d-led.yaml"), Self.path("Tests/ScenarioTests/Fixtures/missing-device.yaml"), "--junit", junit,
        ])
        #expect(code == 2)
        #expect(FileManager.default.fileExists(atPath: junit) == false)
    }

    @Test("a folder argument runs every scenario in it")
    func folder() throws {
        #expect(try ScenarioFiles.resolve([Self.path("scenarios")]).contains(Self.path("scenarios/c2d-led.yaml")))
    }

    @Test("--jobs 0 or negative: exit 2 with a message naming the flag")
    func badJobs() async throws {
        for arguments in [["--jobs=0"], ["--jobs=-3"], ["--jobs", "-1"], ["--jobs", "0"]] {
            let value = arguments.joined().replacingOccurrences(of: "--jobs", with: "").replacingOccurrences(of: "=", with: "")
            let output = try await HarnessBinary.run(["run", Self.path("scenarios/c2d-led.yaml")] + arguments)
            #expect(output.status == 2)
            #expect(output.standardError.contains("--jobs must be 1 or more") && output.standardError.contains("not \(value)"), "\(output.standardError)")
        }
    }

    @Test("a folder skips the conformance packs inside it (folders holding PACK.md) and names them; a pack named itself is kept")
    func packsSkipped() throws {
        let selection = try ScenarioFiles.select([Self.path("scenarios")])
        let pack = Self.path("scenarios/conformance/mqtt-3.1.1")
        let pack5 = Self.path("scenarios/conformance/mqtt-5.0")
        let examples = Self.path("scenarios/examples/mqtt5")
        #expect(selection.skippedPacks.map(\.path) == [pack, pack5, examples])
        #expect(selection.skippedPacks.last?.note == "\(examples): skipped, scenarios that need a broker (1 scenario); run them with: MQTT_URL=mqtt://HOST:PORT harness run \(examples)")
        #expect(selection.skippedPacks.first?.scenarioCount == 45)
        #expect(selection.skippedPacks.first?.note == "\(pack): skipped, a conformance pack that needs a broker (45 scenarios); run it with: harness conform mqtt://HOST:PORT --pack \(pack)")
        #expect(!selection.files.contains { $0.hasPrefix(pack + "/") || $0.hasPrefix(pack5 + "/") })
        #expect(selection.files.contains(Self.path("scenarios/conformance/iothub/c2d-expiry.yaml")))
        #expect(selection.files.contains(Self.path("scenarios/c2d-led.yaml")))
        // Named directly, the pack and its files run; harness validate and conform see every file.
        #expect(try ScenarioFiles.select([pack]).files.count == 45)
        #expect(try ScenarioFiles.select([pack + "/basic.yaml"]).files == [pack + "/basic.yaml"])
        #expect(try ScenarioFiles.resolve([Self.path("scenarios")]).contains(pack + "/basic.yaml"))
        // A folder holding only a pack is not an empty folder.
        #expect(try ScenarioFiles.select([Self.path("scenarios/conformance")]).skippedPacks.count == 2)
    }

    @Test("harness run scenarios, from the repository root as a new user types it: exit 0, the pack named as skipped, progress lines in a log")
    func runRepositoryFolder() async throws {
        let reports = FileManager.default.temporaryDirectory.appendingPathComponent("harness-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: reports) }
        // A new seed each time, as a user gets (chaos-robust pins its own chaos seed); the
        // deadlines stretched for a machine busy with the rest of the tests.
        let output = try await HarnessBinary.run(
            ["run", "scenarios", "--deadline-scale", "3", "--junit", reports + "/junit.xml", "--reports", reports, "--no-color"],
            in: Self.root.path,
            timeout: .seconds(300)
        )
        let text = output.standardOutput + output.standardError
        #expect(output.status == 0, "\(text)")
        #expect(output.standardOutput.contains("scenarios/conformance/mqtt-3.1.1: skipped, a conformance pack that needs a broker (45 scenarios); run it with: harness conform mqtt://HOST:PORT --pack scenarios/conformance/mqtt-3.1.1"), "\(text)")
        #expect(output.standardOutput.contains("scenarios/examples/mqtt5: skipped, scenarios that need a broker (1 scenario); run them with: MQTT_URL=mqtt://HOST:PORT harness run scenarios/examples/mqtt5"), "\(text)")
        #expect(!text.contains("127.0.0.1:1883"))
        // Not a terminal: plain progress lines, no control characters.
        #expect(output.standardError.contains("runs done] "), "\(output.standardError)")
        #expect(!text.contains("\r") && !text.contains("\u{1B}"))
    }
}
