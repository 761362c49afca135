import Foundation
import HarnessTestSupport
import Reporting
import Testing

/// `index.html`: every run with its outcome and latencies, distributions from the histograms,
/// peer text escaped and secrets masked; checked in headless Chromium.
@Suite struct RunOverviewWriterTests {
    static let hostile = "evil\u{1b}[2J<script>alert(1)</script><img src=x onerror=alert(2)>"

    func overview() -> RunOverview {
        let suites = [
            JUnitTestSuite(
                name: "c2d-led", timestamp: Date(), time: 0.8,
                properties: [JUnitProperty("scenario.path", "a.yaml"), JUnitProperty("target", "simulated"), JUnitProperty("latency.step-05.ms", "3.210")],
                testCases: [JUnitTestCase(name: "01 connect", classname: "c2d-led", time: 0.1)]
            ),
            JUnitTestSuite(
                name: "hostile \(Self.hostile)", timestamp: Date(), time: 1.2,
                properties: [JUnitProperty("scenario.path", "b.yaml"), JUnitProperty("target", "mosquitto")],
                testCases: [JUnitTestCase(name: "02 expect \(Self.hostile)", classname: "h", time: 0.1, outcome: .failed(message: "observed SECRET-KEY \(Self.hostile)", type: "ExpectationFailed", details: ""))]
            ),
        ]
        let histograms = [
            LatencyHistogramFile.Suite(name: "c2d-led", metrics: ["repeat.step-04.latency": LatencyHistogram(nanoseconds: (1...200).map { UInt64($0) * 50_000 })]),
            LatencyHistogramFile.Suite(name: "hostile"),
        ]
        return RunOverview(title: "harness run", subtitle: "now", report: JUnitReport(suites: suites), histograms: histograms, links: [0: "c2d-led/report.html", 1: "javascript:alert(3)/report.html"])
    }

    @Test("rows, percentiles and links in the page; peer text escaped; secrets masked")
    func page() {
        let html = RunOverviewWriter(redactor: SecretRedactor(secrets: ["SECRET-KEY"])).render(overview())
        #expect(html.contains("<a href=\"./c2d-led/report.html\">c2d-led</a>"))
        #expect(html.contains("href=\"./javascript:alert(3)/report.html\""))
        #expect(html.contains("step 05: 3.210 ms"))
        #expect(html.contains("<td>repeat.step-04.latency</td>"))
        #expect(html.contains("02 expect evil"))
        #expect(!html.contains("<script>alert") && !html.contains("<img src=x") && !html.contains("\u{1b}"))
        #expect(!html.contains("SECRET-KEY"))
        #expect(html.contains("<span class=\"verdict failed\">failed</span>"))
    }

    @Test("index.html: headless Chromium lays out every run's row and the histogram, and runs nothing from peer text")
    func chromium() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-overview-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ReportFileWriter.write(RunOverviewWriter().render(overview()), to: folder + "/index.html")
        let chromium = try ExternalTool.locate("chromium", package: "chromium")
        let output = try await ExternalTool.run(
            chromium,
            ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", "--dump-dom", "file://" + folder + "/index.html"],
            timeout: .seconds(90)
        )
        #expect(output.status == 0, "\(output.standardError.suffix(500))")
        #expect(output.standardOutput.contains("data-rendered=\"2\""), "chromium: \(output.standardError.suffix(500))")
        #expect(output.standardOutput.contains("data-histograms=\"1\""))
        #expect(!output.standardOutput.contains("<script>alert(1)") && !output.standardOutput.contains("<img src=\"x\""))
    }
}
