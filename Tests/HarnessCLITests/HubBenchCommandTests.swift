import Foundation
import HarnessTestSupport
@testable import HarnessCLI
import Testing

/// `harness bench hub` on a tiny load: it runs both brokers for real and prints the table.
/// Numbers are not checked (benchmarks report, tests don't time).
@Suite(.serialized) struct HubBenchCommandTests {
    @Test("harness bench hub measures the hub and Mosquitto and prints every row with a ratio")
    func smallRun() async throws {
        let mosquitto = try Repository.tool("mosquitto", package: "mosquitto")
        let process = try ExternalProcess(
            HarnessBinary.url.path,
            ["bench", "hub", "--devices", "5", "--messages-per-device", "2", "--window", "2", "--mosquitto", mosquitto, "--harness", HarnessBinary.url.path]
        )
        let status = await process.wait(timeout: .seconds(120))
        #expect(status == 0, "\(process.transcript)")
        let text = process.output.joined(separator: "\n")
        #expect(text.contains("hub: 5 TLS connections subscribed"), "\(process.transcript)")
        #expect(text.contains("mosquitto: 10 QoS 1 messages delivered"), "\(process.transcript)")
        for row in ["connection setup", "memory per connection", "C2D delivery (QoS 1)"] {
            let line = try #require(process.output.first { $0.hasPrefix(row) }, "\(process.transcript)")
            #expect(line.split(separator: " ").count >= 6, "\(line)")
        }
    }

    @Test("bad bench flags exit 2", arguments: [["--devices", "0"], ["--messages-per-device", "51"], ["--mosquitto", "/no/such/mosquitto"]])
    func badFlags(arguments: [String]) async {
        #expect(await HarnessCommand.runMain(arguments: ["bench", "hub"] + arguments) == 2)
    }
}
