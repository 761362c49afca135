import Foundation
import HarnessTestSupport
import IoTHubCore
import MQTTCore
import NIOPosix
import Reporting
import Scenario
import Testing

/// The files a run leaves behind, checked with the real tools users open them with.
@Suite(.serialized) struct ReportArtifactTests {
    let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, deadlineScale: 10))

    func runSeed(key: DeviceKey? = nil, options: LoadOptions = LoadOptions()) async throws -> (ScenarioResult, String) {
        var scenario = try ScenarioLoader.load(path: ScenarioLoaderTests.repositoryRoot.appendingPathComponent("scenarios/c2d-led.yaml").path, options: options)
        if let key { scenario.targets[0].devices[0].key = key }
        let result = await runner.run(scenario)
        var redactor = SecretRedactor()
        for secret in result.secrets { redactor.register(secret) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-artifacts-\(UUID().uuidString)").path
        var artifacts = ReportArtifacts(folder: folder)
        return (result, try artifacts.write(result, redactor: redactor))
    }

    @Test("trace.pcap: tshark decodes the MQTT packets in order")
    func pcapWithTshark() async throws {
        let (_, folder) = try await runSeed()
        let tshark = try ExternalTool.locate("tshark", package: "tshark")
        let output = try await ExternalTool.run(tshark, ["-r", folder + "/trace.pcap", "-Y", "mqtt", "-T", "fields", "-e", "mqtt.msgtype"])
        #expect(output.status == 0, "\(output.standardError)")
        let types = output.standardOutput.split(separator: "\n").map(String.init)
        // CONNECT, CONNACK, SUBSCRIBE, SUBACK, PUBLISH "on", PUBLISH "off".
        #expect(types == ["1", "2", "8", "9", "3", "3"], "\(output.standardOutput)")
        let payloads = try await ExternalTool.run(tshark, ["-r", folder + "/trace.pcap", "-Y", "mqtt.msgtype == 3", "-T", "fields", "-e", "mqtt.msg"])
        #expect(payloads.standardOutput.split(separator: "\n") == ["6f6e", "6f6666"] || payloads.standardOutput.split(separator: "\n") == ["on", "off"], "\(payloads.standardOutput)")
    }

    @Test("trace.jsonl: one JSON object per line, every event, and each packet once, at the device's own codec")
    func jsonLines() async throws {
        let (result, folder) = try await runSeed()
        let lines = try String(contentsOfFile: folder + "/trace.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == result.entries.count)
        let decoder = JSONDecoder()
        let records = try lines.map { try decoder.decode(TraceRecord.self, from: Data($0.utf8)) }
        #expect(records.contains { $0.kind == "packet" && $0.type == "CONNECT" && $0.vantage == "device" && $0.direction == "to_hub" && $0.device == "esp8266" })
        // The simulated device has its own codec: the hub's copy of each packet is not kept.
        #expect(!records.contains { $0.kind == "packet" && $0.vantage == "hub" })
        #expect(records.filter { $0.kind == "packet" && $0.type == "CONNECT" }.count == 1)
        #expect(records.contains { $0.kind == "device" && $0.type == "led" })
        #expect(records.contains { $0.kind == "hub" && $0.type == "c2d_enqueued" })
        #expect(zip(records, records.dropFirst()).allSatisfy { $0.time <= $1.time + 0.001 })
    }

    @Test("report.html: headless Chromium lays out the sequence diagram")
    func htmlInChromium() async throws {
        let (_, folder) = try await runSeed()
        let chromium = try ExternalTool.locate("chromium", package: "chromium")
        let output = try await ExternalTool.run(
            chromium,
            ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", "--dump-dom", "file://" + folder + "/report.html"],
            timeout: .seconds(90)
        )
        let match = output.standardOutput.firstMatch(of: /data-rendered="(\d+)"/)
        let rendered = Int(match?.1 ?? "0") ?? 0
        // Every step, packet, C2D and LED change is a row: at least the 6 packets and 7 steps.
        #expect(rendered >= 13, "chromium: \(output.standardError.suffix(500))")
        let html = try String(contentsOfFile: folder + "/report.html", encoding: .utf8)
        #expect(html.contains("<svg id=\"sequence\""))
        #expect(html.contains("LED on"))
        #expect(!html.contains("src=\"http"), "the page must be self-contained")
    }

    @Test("no secret in any file: device key, SAS signature and variables marked secret are masked")
    func noSecrets() async throws {
        let key = DeviceKey(bytes: Array(repeating: 0x5A, count: 32))
        let secretValue = "very-secret-variable-value"
        let options = LoadOptions(variables: Variables(overrides: ["TAG": secretValue], secretNames: ["TAG"]))
        var scenario = try ScenarioLoader.load(yaml: """
            device: { id: esp8266, key: "\(key.base64)" }
            steps:
              - connect: { clean_session: false }
              - subscribe: devices/esp8266/messages/devicebound/#
              - send: { payload: "on", properties: { tag: "${TAG}" } }
              - expect: { led: on, within: 1s }
            """, path: "secret.yaml", options: options)
        scenario.name = "secret"
        let result = await runner.run(scenario)
        #expect(result.isPassed)
        var redactor = SecretRedactor()
        for secret in result.secrets { redactor.register(secret) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-secrets-\(UUID().uuidString)").path
        var artifacts = ReportArtifacts(folder: folder)
        let directory = try artifacts.write(result, redactor: redactor)
        let junit = JUnitXMLWriter(redactor: redactor).render(JUnitReport(suites: [result.makeTestSuite()]))
        // The token the device presented, from the CONNECT packet itself.
        let connect = result.packets.compactMap { observation -> String? in
            guard observation.vantage == .device, case MQTTPacket.connect(let packet) = observation.record.packet else {
                return nil
            }
            return packet.passwordText
        }.first
        let token = try SASToken(parsing: try #require(connect))
        let signature = PercentEncoding.encode(token.signature)
        var outputs = ["junit": Data(junit.utf8)]
        for file in ["trace.jsonl", "trace.pcap", "report.html"] {
            outputs[file] = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + file))
        }
        for (name, data) in outputs {
            let text = String(decoding: data, as: UTF8.self)
            for secret in [key.base64, token.signature, signature, secretValue] {
                #expect(!text.contains(secret), "\(name) contains a secret")
            }
        }
        // The pcap masks a CONNECT's whole password, known to the harness or not.
        let pcap = String(decoding: outputs["trace.pcap"] ?? Data(), as: UTF8.self)
        #expect(pcap.contains("SharedAccessSignature") == false)
        #expect(pcap.contains(String(repeating: "*", count: token.rendered.utf8.count)))
    }
}
