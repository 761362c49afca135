@testable import Benchmarks
import Foundation
@testable import HarnessCLI
import HarnessTestSupport
import Testing

/// `harness bench fleet` on a tiny fleet: the hub and both Mosquitto listeners run for real,
/// every device connects and gets its C2D message, every row is printed. Numbers are not
/// checked (benchmarks report, tests don't time).
@Suite(.serialized) struct FleetBenchCommandTests {
    @Test("harness bench fleet: 6 devices connect to the hub (TLS, its own process and this one) and Mosquitto (plain, TLS), each gets its C2D message, every row and goal is printed")
    func smallFleet() async throws {
        let mosquitto = try Repository.tool("mosquitto", package: "mosquitto")
        let process = try ExternalProcess(
            HarnessBinary.url.path,
            ["bench", "fleet", "--devices", "6", "--rate", "100", "--in-flight", "3", "--window", "2", "--in-process", "--mosquitto", mosquitto, "--harness", HarnessBinary.url.path]
        )
        let status = await process.wait(timeout: .seconds(120))
        #expect(status == 0, "\(process.transcript)")
        for name in ["hub (TLS)", "hub in-process (TLS)", "mosquitto (plain)", "mosquitto (TLS)"] {
            #expect(process.output.contains { $0.hasPrefix("\(name): 6 of 6 devices connected") }, "\(process.transcript)")
            #expect(process.output.contains { $0.hasPrefix("\(name): 6 of 6 C2D messages delivered") }, "\(process.transcript)")
        }
        let header = try #require(process.output.first { $0.hasPrefix(" ") && $0.contains("hub (TLS)") }, "\(process.transcript)")
        #expect(header.contains("mosquitto (plain)") && header.contains("mosquitto (TLS)"), "\(header)")
        let connected = try #require(process.output.first { $0.hasPrefix("connected ") }, "\(process.transcript)")
        #expect(connected.split(separator: " ").suffix(4) == ["6", "6", "6", "6"], "\(connected)")
        let delivered = try #require(process.output.first { $0.hasPrefix("C2D delivered") }, "\(process.transcript)")
        #expect(delivered.split(separator: " ").suffix(4) == ["6", "6", "6", "6"], "\(delivered)")
        for row in ["connect-all time", "connect latency p99", "C2D latency p50", "C2D latency p99.9", "C2D latency max", "memory/device, harness", "memory/device, server", "memory/device, both"] {
            let line = try #require(process.output.first { $0.hasPrefix(row) }, "\(process.transcript)")
            #expect(line.split(separator: " ").count >= 6, "\(line)")
        }
        #expect(process.output.filter { $0.hasPrefix("  all 6 connected within 10 s: ") }.count == 2, "\(process.transcript)")
        #expect(process.output.contains { $0.hasPrefix("goals for hub in-process (TLS):") }, "\(process.transcript)")
        let server = try #require(process.output.first { $0.hasPrefix("memory/device, server") }, "\(process.transcript)")
        #expect(server.contains("(in the harness)"), "\(server)")
        #expect(process.output.contains { $0.hasPrefix("  C2D p99 within 100 ms: ") }, "\(process.transcript)")
        #expect(!process.output.contains { $0.contains("no C2D message") }, "\(process.transcript)")
    }

    @Test("a fleet beyond the descriptor limit is refused before anything starts, saying why")
    func beyondDescriptorLimit() async throws {
        // `ulimit -n 1000` lowers both limits for the shell and what it runs, as a CI runner's would be.
        let output = try await ExternalTool.run("/bin/sh", ["-c", "ulimit -n 1000 && exec \"$0\" bench fleet --devices 2000 --without-mosquitto", HarnessBinary.url.path])
        #expect(output.status == 2, "\(output.standardOutput)\(output.standardError)")
        #expect(output.standardError.contains("error: 2000 devices need about 2256 open descriptors in this process (1 each, and 256 for the rest of the run), but the limit is 1000 (hard limit 1000"), "\(output.standardError)")
        #expect(output.standardError.contains("at most 744 devices fit under it"), "\(output.standardError)")
        #expect(!output.standardOutput.contains("starting"), "\(output.standardOutput)")
    }

    @Test(
        "bad fleet flags exit 2",
        arguments: [["--devices", "0"], ["--rate", "-1"], ["--in-flight", "0"], ["--window", "0"], ["--profile", "esp32"], ["--mosquitto", "/no/such/mosquitto"]]
    )
    func badFlags(arguments: [String]) async {
        #expect(await HarnessCommand.runMain(arguments: ["bench", "fleet"] + arguments) == 2)
    }
}
