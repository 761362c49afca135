@testable import Benchmarks
import Foundation
@testable import HarnessCLI
import HarnessTestSupport
import Testing

/// `harness bench burst` on a small burst: both servers run for real, the hub closes the
/// connections beyond its limits itself. Memory figures are printed, not checked.
@Suite(.serialized) struct BurstBenchCommandTests {
    @Test("harness bench burst: the hub closes CONNECTs above its limit at once; Mosquitto holds them; every row is printed")
    func smallBurst() async throws {
        let mosquitto = try Repository.tool("mosquitto", package: "mosquitto")
        let process = try ExternalProcess(
            HarnessBinary.url.path,
            ["bench", "burst", "--connections", "20", "--announce", "20000", "--send", "9000", "--hold", "500ms", "--mosquitto", mosquitto, "--harness", HarnessBinary.url.path]
        )
        let status = await process.wait(timeout: .seconds(120))
        #expect(status == 0, "\(process.transcript)")
        let closed = try #require(process.output.first { $0.hasPrefix("closed by the server") }, "\(process.transcript)")
        // The hub refuses every CONNECT announcing more than 8 KiB; Mosquitto waits for them.
        #expect(closed.split(separator: " ").suffix(2) == ["20", "0"], "\(closed)")
        for row in ["memory before", "memory at the peak", "peak cost", "memory 3 s after close", "kept after close"] {
            let line = try #require(process.output.first { $0.hasPrefix(row) }, "\(process.transcript)")
            #expect(line.contains("MB"), "\(line)")
        }
    }

    @Test("the partial CONNECT announces its length in MQTT's variable-length encoding")
    func partialConnect() {
        #expect(BurstBenchmark.partialConnect(announced: 8185, sent: 3) == [0x10, 0xF9, 0x3F, 0x00, 0x04, 0x4D])
        #expect(BurstBenchmark.partialConnect(announced: 266_200, sent: 12).count == 4 + 12)
    }

    @Test("bad burst flags exit 2", arguments: [["--connections", "0"], ["--send", "9", "--announce", "8"], ["--hold", "0s"], ["--mosquitto", "/no/such/mosquitto"]])
    func badFlags(arguments: [String]) async {
        #expect(await HarnessCommand.runMain(arguments: ["bench", "burst"] + arguments) == 2)
    }
}
