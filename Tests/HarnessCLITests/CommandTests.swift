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
}
