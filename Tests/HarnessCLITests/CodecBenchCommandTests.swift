import ArgumentParser
@testable import Benchmarks
@testable import HarnessCLI
import MQTTCore
import NIOCore
import Testing

/// `harness bench codec`: parses its flags and measures every case.
@Suite struct CodecBenchCommandTests {
    @Test("harness bench codec parses --duration and --filter")
    func parses() throws {
        let command = try #require(try HarnessCommand.parseAsRoot(["bench", "codec", "--duration", "20ms", "--filter", "tap"]) as? CodecBench)
        #expect(command.duration.duration == .milliseconds(20))
        #expect(command.filter == "tap")
        #expect(throws: (any Error).self) { try HarnessCommand.parseAsRoot(["bench", "codec", "--duration", "0s"]) }
    }

    @Test("a short run measures every case, decodes what it encoded, and renders a table")
    func runs() throws {
        let report = try CodecBenchmark(duration: .milliseconds(5), batchSize: 50).run()
        #expect(report.throughputs.count == 12)
        for throughput in report.throughputs {
            #expect(throughput.operations >= 50, "\(throughput.name)")
            #expect(throughput.rate > 0)
        }
        #expect(report.tapCost(on: CodecBenchmark.handlerCountingTap, off: CodecBenchmark.handlerTapOff) != nil)
        #expect(report.retainedHeap.map(\.payloadLength) == [64, 1024, 64, 1024])
        let table = CodecBenchmarkFormatter.render(report)
        #expect(table.contains(CodecBenchmark.publishDecode))
        #expect(table.contains(CodecBenchmark.publish5Decode))
        #expect(table.contains("tap cost (counting tap, 1000 packets per read)"))
        #expect(CodecBenchmarkFormatter.grouped(12_345_678) == "12,345,678")
        #expect(CodecBenchmarkFormatter.fixed(3.14159, digits: 2) == "3.14")
        #expect(CodecBenchmarkFormatter.fixed(-0.5, digits: 1) == "-0.5")
    }

    @Test("the benchmark's PUBLISH and CONNECT have the sizes the issue names")
    func packets() throws {
        guard case .publish(let publish) = try CodecBenchmark.publish() else {
            Issue.record("not a PUBLISH")
            return
        }
        #expect(publish.topic.string.utf8.count == 32)
        #expect(publish.payload.readableBytes == 64)
        #expect(try CodecBenchmark.seedConnect().encoded().readableBytes == 224)
        guard case .publish(let publish5) = try CodecBenchmark.publish5() else {
            Issue.record("not a PUBLISH")
            return
        }
        #expect(publish5.properties.count == 6)
        #expect(try CodecBenchmark.publish5().encoded(version: .v5).readableBytes == 164)
        #expect(throws: MQTTEncodingError.version5Only("PUBLISH properties")) { try CodecBenchmark.publish5().encoded() }
    }
}
