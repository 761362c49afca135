import Foundation
import Reporting
import Testing

/// The mergeable latency histogram: bounded error, exact merges, a file format that refuses
/// damage.
@Suite struct LatencyHistogramTests {
    @Test("percentiles are within 1/64 of the exact nearest-rank value, for values from nanoseconds to hours")
    func boundedError() {
        var generator = SystemRandomNumberGenerator()
        let samples = (0..<5000).map { _ in UInt64.random(in: 1...3_600_000_000_000, using: &generator) } + Array(0..<200)
        let histogram = LatencyHistogram(nanoseconds: samples)
        let sorted = samples.sorted()
        #expect(histogram.count == UInt64(samples.count))
        #expect(histogram.minimum == sorted.first && histogram.maximum == sorted.last)
        for percentile in [0.0, 1, 50, 90, 99, 99.9, 100] {
            let rank = max(1, Int((percentile / 100 * Double(sorted.count)).rounded(.up)))
            let exact = Double(sorted[rank - 1])
            let value = Double(histogram.value(atPercentile: percentile) ?? 0)
            #expect(value >= exact && value <= exact * (1 + 1.0 / 64) + 1, "p\(percentile): \(value) vs \(exact)")
        }
    }

    @Test("values below 128 ns are exact, and the highest values do not overflow")
    func edges() {
        let small = LatencyHistogram(nanoseconds: [0, 1, 127])
        #expect(small.value(atPercentile: 50) == 1 && small.value(atPercentile: 100) == 127)
        let huge = LatencyHistogram(nanoseconds: [.max, .max - 1])
        #expect(huge.value(atPercentile: 50) == .max - 1 || huge.value(atPercentile: 50) == .max)
        #expect(huge.sum == .max)
        #expect(LatencyHistogram().value(atPercentile: 50) == nil)
    }

    @Test("merging shards gives the histogram of all samples: percentiles are never averaged")
    func mergeEqualsWhole() {
        let fast = (1...900).map { UInt64($0) * 1_000_000 / 100 }
        let slow = (1...100).map { UInt64($0) * 10_000_000 + 500_000_000 }
        var merged = LatencyHistogram(nanoseconds: fast)
        merged.merge(LatencyHistogram(nanoseconds: slow))
        #expect(merged == LatencyHistogram(nanoseconds: fast + slow))
        // Averaging the shards' p99 would say about 0.76 s; 99 % of all samples are below ~1.4 s.
        let p99 = Double(merged.value(atPercentile: 99) ?? 0) / 1e9
        #expect(p99 > 1.38 && p99 < 1.43, "\(p99)")
        let p50 = Double(merged.value(atPercentile: 50) ?? 0) / 1e6
        #expect(p50 > 4.9 && p50 < 5.1, "\(p50)")
    }

    @Test("the file round-trips byte for byte and names its path beside the JUnit file")
    func fileRoundTrip() throws {
        let file = LatencyHistogramFile(suites: [.init(name: "c2d <led>", metrics: ["step-05.latency": LatencyHistogram(nanoseconds: [12_345_678, 99])])])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hist-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ReportFileWriter.write(file.render(), to: path)
        let loaded = try LatencyHistogramFile.load(path: path)
        #expect(loaded == file && loaded.render() == file.render())
        #expect(LatencyHistogramFile.path(besideJUnit: "reports/junit.xml") == "reports/junit.histograms.json")
        #expect(LatencyHistogramFile.path(besideJUnit: "out/results") == "out/results.histograms.json")
    }

    @Test(
        "a damaged or foreign histograms file is refused with its path",
        arguments: [
            ("{ not json", "not valid JSON"),
            (#"{"format":"other","version":1,"precisionBits":7,"suites":[]}"#, "not a harness latency histograms file"),
            (#"{"format":"harness-latency-histograms","version":9,"precisionBits":7,"suites":[]}"#, "version 9"),
            (#"{"format":"harness-latency-histograms","version":1,"precisionBits":7,"suites":[{"name":"a","metrics":{"m":{"count":3,"min_ns":1,"max_ns":1,"sum_ns":1,"buckets":[[1,1]]}}}]}"#, "do not match"),
            (#"{"format":"harness-latency-histograms","version":1,"precisionBits":7,"suites":[{"name":"a","metrics":{"m":{"count":1,"min_ns":1,"max_ns":1,"sum_ns":1,"buckets":[[-4,1]]}}}]}"#, "not a harness latency histograms file"),
        ]
    )
    func damaged(text: String, reason: String) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hist-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: ReportInputError.self) { try LatencyHistogramFile.load(path: path) }
        #expect(error?.path == path)
        #expect(error?.description.contains(reason) == true, "\(error?.description ?? "")")
        let missing = #expect(throws: ReportInputError.self) { try LatencyHistogramFile.load(path: path + ".absent") }
        #expect(missing?.description.contains("missing") == true)
    }
}

@Suite struct LatencyHistogramDecodingTests {
    @Test("a histogram whose sum cannot be (its mean outside minimum and maximum) is refused; a good one round-trips")
    func sumMustFit() throws {
        var histogram = LatencyHistogram()
        histogram.record(nanoseconds: 3_311_298)
        let good = try JSONEncoder().encode(histogram)
        #expect(try JSONDecoder().decode(LatencyHistogram.self, from: good) == histogram)
        let text = String(decoding: good, as: UTF8.self)
        let forged = text.replacingOccurrences(of: "\"sum_ns\":3311298", with: "\"sum_ns\":9223372036854775807")
        #expect(forged != text)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(LatencyHistogram.self, from: Data(forged.utf8)) }
    }
}
