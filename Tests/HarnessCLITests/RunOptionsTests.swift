import ArgumentParser
import Foundation
import HarnessTestSupport
@testable import HarnessCLI
import IoTHubCore
import Scenario
import Testing

/// `harness run` as a whole process: options, console output, report files, and no secret in
/// any of them.
@Suite(.serialized) struct RunOptionsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func temporaryFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-run-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test("--set, --secret and --verbose: live packet lines, variables applied, secrets masked in every output")
    func secretsEverywhere() async throws {
        let folder = try temporaryFolder()
        let key = DeviceKey(bytes: Array(repeating: 0x33, count: 32))
        let scenario = """
            name: secret-run
            secrets: [KEY]
            device: { id: "${DEVICE:-nobody}", key: "${KEY}" }
            steps:
              - connect: { clean_session: false, keepalive: 60 }
              - subscribe: devices/esp8266/messages/devicebound/#
              - send: { payload: "on", properties: { note: "${NOTE}" } }
              - expect: { led: on, within: 1s }
            """
        try scenario.write(toFile: folder + "/secret.yaml", atomically: true, encoding: .utf8)
        let output = try await HarnessBinary.run(
            ["run", "secret.yaml", "--set", "DEVICE=esp8266", "--secret", "KEY=\(key.base64)", "--secret", "NOTE=classified-note-text", "--verbose", "--no-color", "--deadline-scale", "10"],
            in: folder
        )
        #expect(output.status == 0, "\(output.standardOutput)\(output.standardError)")
        #expect(output.standardOutput.contains("[esp8266] device -> hub  CONNECT"))
        #expect(output.standardOutput.contains("4 passed, 0 failed"))
        var everything = output.standardOutput + output.standardError
        for file in ["reports/junit.xml", "reports/secret-run/trace.jsonl", "reports/secret-run/trace.pcap", "reports/secret-run/report.html"] {
            let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file))
            everything += String(decoding: data, as: UTF8.self)
        }
        // The CONNECT's SAS token is in the pcap only as stars.
        #expect(everything.contains(String(repeating: "*", count: 100)))
        for secret in [key.base64, "classified-note-text", "Y2xhc3NpZmllZC1ub3RlLXRleHQ"] {
            #expect(!everything.contains(secret), "an output contains \(secret)")
        }
        // No signature either: every sig= is followed by stars.
        for piece in everything.components(separatedBy: "sig=").dropFirst() {
            #expect(piece.hasPrefix("*"), "unmasked signature: sig=\(piece.prefix(12))")
        }
    }

    @Test("--shard splits a folder deterministically, every file in exactly one shard")
    func shards() async throws {
        let files = try ScenarioFiles.resolve([Self.root.appendingPathComponent("scenarios").path])
        var seen: [String] = []
        for index in 1...3 {
            let shard = try #require(Shard(argument: "\(index)/3"))
            let part = shard.select(from: files)
            #expect(part == shard.select(from: files.reversed()))
            seen += part
        }
        #expect(seen.sorted() == files.sorted())
        #expect(Shard(argument: "0/3") == nil)
        #expect(Shard(argument: "4/3") == nil)
        #expect(Shard(argument: "x") == nil)
        #expect(throws: ValidationError.self) { try Shard.parse("3/2") }
        #expect(await HarnessCommand.runMain(arguments: ["run", "scenarios/c2d-led.yaml", "--shard", "3/2"]) == 2)
    }

    @Test("a run of one shard with --hub and --device overrides")
    func shardRun() async throws {
        let folder = try temporaryFolder()
        let output = try await HarnessBinary.run(
            ["run", Self.root.appendingPathComponent("scenarios/c2d-led.yaml").path, "--shard", "1/1", "--hub", "simulated", "--device", "token_ttl=10m", "--quiet", "--junit", folder + "/j.xml", "--reports", folder, "--deadline-scale", "10"],
            in: folder
        )
        #expect(output.status == 0, "\(output.standardOutput)\(output.standardError)")
        #expect(!output.standardOutput.contains("✓"))
        #expect(output.standardOutput.contains("7 passed"))
        #expect(FileManager.default.fileExists(atPath: folder + "/c2d-led/report.html"))
    }

    @Test("an unreachable broker fails the run with exit 1 and says which connection failed")
    func unreachableBroker() async throws {
        let output = try await HarnessBinary.run(["run", Self.root.appendingPathComponent("scenarios/c2d-led.yaml").path, "--hub", "mqtt://127.0.0.1:1", "--no-color", "--junit", FileManager.default.temporaryDirectory.path + "/harness-unreachable/junit.xml", "--reports", FileManager.default.temporaryDirectory.path + "/harness-unreachable"])
        #expect(output.status == 1, "\(output.standardOutput)\(output.standardError)")
        #expect(output.standardOutput.contains("could not start the run: the harness's cloud connection to mqtt://127.0.0.1:1 failed"), "\(output.standardOutput)")
        #expect(output.standardOutput.contains("7 skipped"))
    }

    @Test(
        "bad run options exit 2 with a message",
        arguments: [
            ["--set", "novalue"],
            ["--set", "1BAD=x"],
            ["--shard", "3/2"],
            ["--quiet", "--verbose"],
            ["--hub", "mqtt:/nowhere:1883"],
            ["--hub", "mqtts://127.0.0.1:8883?cafile=x"],
            ["--device", "profil=x"],
            ["--deadline-scale", "0.5"],
        ]
    )
    func badOptions(arguments: [String]) async throws {
        let output = try await HarnessBinary.run(["run", Self.root.appendingPathComponent("scenarios/c2d-led.yaml").path] + arguments)
        #expect(output.status == 2, "\(arguments): \(output.standardOutput)\(output.standardError)")
        #expect(!output.standardError.isEmpty)
        #expect(!output.standardError.contains("Fatal error"))
    }
}
