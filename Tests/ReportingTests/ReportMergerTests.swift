import Foundation
import HarnessTestSupport
import Reporting
import Testing

/// `harness report merge` underneath: the JUnit files of shards read back, merged in a
/// deterministic order, checked against the strict schema; percentiles from merged buckets.
@Suite struct ReportMergerTests {
    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("harness-merge-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A shard's JUnit and histograms as `harness run` writes them.
    static func writeShard(_ folder: String, name: String, samples: [UInt64], failing: Bool = false, hostileText: String = "") throws -> String {
        var suite = JUnitTestSuite(
            name: "fleet-c2d", package: "fleet-c2d", timestamp: Date(timeIntervalSince1970: 1_800_000_000), hostname: name, time: 1.5,
            properties: [JUnitProperty("scenario.path", "scenarios/fleet.yaml"), JUnitProperty("target", "simulated"), JUnitProperty("latency.step-03.ms", "4.250")],
            testCases: [JUnitTestCase(name: "01 connect", classname: "fleet-c2d", time: 0.1)],
            systemOut: "trace \(hostileText)"
        )
        if failing {
            suite.testCases.append(JUnitTestCase(name: "02 expect led on \(hostileText)", classname: "fleet-c2d", time: 0.5, outcome: .failed(message: "expected on; observed off \(hostileText)", type: "ExpectationFailed", details: "details\n<&>")))
        }
        let junit = folder + "/\(name)/junit.xml"
        try ReportFileWriter.write(JUnitXMLWriter().render(JUnitReport(suites: [suite])), to: junit)
        let histograms = LatencyHistogramFile(suites: [.init(name: "fleet-c2d", metrics: ["repeat.step-03.latency": LatencyHistogram(nanoseconds: samples)])])
        try ReportFileWriter.write(histograms.render(), to: LatencyHistogramFile.path(besideJUnit: junit))
        return junit
    }

    @Test("two shards merge into one schema-valid JUnit; the same inputs in any order give the same bytes")
    func mergeIsDeterministicAndValid() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let a = try Self.writeShard(folder, name: "shard-1", samples: (1...900).map { UInt64($0) * 10_000 })
        let b = try Self.writeShard(folder, name: "shard-2", samples: (1...100).map { UInt64($0) * 10_000_000 + 500_000_000 }, failing: true)
        let merged = try ReportMerger().merge(junitPaths: [a, b])
        let again = try ReportMerger().merge(junitPaths: [b, a, b])
        #expect(merged.renderJUnit() == again.renderJUnit())
        #expect(merged.histograms.render() == again.histograms.render())
        #expect(merged.report.suites.count == 2 && merged.report.failureCount == 1)
        try await JUnitSchema.validate(xml: merged.renderJUnit())
        // Percentiles over both shards from the merged buckets: p99 is the slow shard's tail.
        let overview = RunOverview(title: "t", subtitle: "s", report: merged.report, histograms: merged.histograms.suites, links: [:])
        let distribution = try #require(overview.distributions.first)
        #expect(overview.distributions.count == 1 && distribution.runs == 2 && distribution.histogram.count == 1000)
        let p99 = Double(distribution.histogram.value(atPercentile: 99) ?? 0) / 1e9
        #expect(p99 > 1.38 && p99 < 1.43, "\(p99)")
        #expect(overview.rows.map(\.outcome) == [.passed, .failed] || overview.rows.map(\.outcome) == [.failed, .passed])
        #expect(overview.rows.contains { $0.failedStep == "02 expect led on " })
    }

    @Test("the merged JUnit reads back to the same report: merges of merges work")
    func readBack() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let a = try Self.writeShard(folder, name: "shard-1", samples: [1, 2, 3], failing: true, hostileText: "<script>&\"'")
        let merged = try ReportMerger().merge(junitPaths: [a])
        let out = folder + "/merged/junit.xml"
        try ReportFileWriter.write(merged.renderJUnit(), to: out)
        try ReportFileWriter.write(merged.histograms.render(), to: LatencyHistogramFile.path(besideJUnit: out))
        let original = try JUnitXMLReader.read(path: a)
        let reread = try JUnitXMLReader.read(path: out)
        #expect(reread == original)
        #expect(try ReportMerger().merge(junitPaths: [out]).renderJUnit() == merged.renderJUnit())
    }

    @Test(
        "inputs that are not the harness's JUnit, or are damaged, are refused with the file's name",
        arguments: [
            ("<testsuites><testsuite name=\"x\"", "damaged XML"),
            ("<html><body/></html>", "root element is <html>"),
            ("", "empty document"),
            ("<testsuites><testsuite name=\"a\" timestamp=\"2026-01-01T00:00:00\" time=\"1\"><properties/></testsuite>", "damaged XML"),
            ("<testsuites><testsuite name=\"a\" timestamp=\"2026-01-01T00:00:00\" time=\"1\"><properties/></testsuite></testsuites>", "has no 'scenario.path' property"),
            ("<testsuites><testsuite name=\"a\" timestamp=\"yesterday\" time=\"1\"/></testsuites>", "lacks its name or timestamp"),
        ]
    )
    func badJUnit(text: String, reason: String) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/junit.xml"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try Data(LatencyHistogramFile().render().utf8).write(to: URL(fileURLWithPath: LatencyHistogramFile.path(besideJUnit: path)))
        let error = #expect(throws: ReportInputError.self) { try ReportMerger().merge(junitPaths: [path]) }
        #expect(error?.path == path)
        #expect(error?.description.contains(reason) == true, "\(error?.description ?? "")")
    }

    @Test("a missing histograms file, or one that does not match its JUnit, is refused; so is no input")
    func badHistograms() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let a = try Self.writeShard(folder, name: "shard-1", samples: [1])
        let histograms = LatencyHistogramFile.path(besideJUnit: a)
        try Data(LatencyHistogramFile(suites: [.init(name: "other")]).render().utf8).write(to: URL(fileURLWithPath: histograms))
        let mismatch = #expect(throws: ReportInputError.self) { try ReportMerger().merge(junitPaths: [a]) }
        #expect(mismatch?.path == histograms && mismatch?.description.contains("not those of") == true)
        try FileManager.default.removeItem(atPath: histograms)
        let missing = #expect(throws: ReportInputError.self) { try ReportMerger().merge(junitPaths: [a]) }
        #expect(missing?.path == histograms && missing?.description.contains("missing") == true)
        #expect(throws: ReportInputError.self) { try ReportMerger().merge(junitPaths: []) }
    }

    @Test("links from the overview to each run's report.html are relative, and only to reports that exist")
    func links() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let a = try Self.writeShard(folder, name: "shard-1", samples: [1])
        var report = try JUnitXMLReader.read(path: a)
        report.suites[0].properties.append(JUnitProperty("report", "fleet-c2d/report.html"))
        try ReportFileWriter.write(JUnitXMLWriter().render(report), to: a)
        let merged = try ReportMerger().merge(junitPaths: [a])
        #expect(merged.links(overviewPath: folder + "/merged/index.html").isEmpty)
        try ReportFileWriter.write("<html></html>", to: folder + "/shard-1/fleet-c2d/report.html")
        #expect(merged.links(overviewPath: folder + "/merged/index.html") == [0: "../shard-1/fleet-c2d/report.html"])
    }
}
