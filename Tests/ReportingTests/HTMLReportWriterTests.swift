import Foundation
import Reporting
import Testing

@Suite struct HTMLReportWriterTests {
    @Test("the page escapes and redacts every text, and holds the diagram and histograms")
    func page() {
        let report = HTMLReport(
            title: "t <script>",
            subtitle: "sig=SECRET&se=1",
            passed: false,
            steps: [.init(name: "01 <b>", status: .failed, seconds: 0.5, detail: "expected & observed")],
            diagram: SequenceDiagram(
                lanes: ["cloud", "hub", "dev"],
                events: [.init(time: 0, from: 2, to: 1, label: "CONNECT password=sig=SECRET", style: .packet), .init(time: 0.001, from: 2, to: 2, label: "LED on", style: .state)],
                spans: [.init(fromEvent: 0, toEvent: 1, label: "1ms")]
            ),
            histograms: [Histogram(title: "led_latency", milliseconds: [0.1, 0.2, 0.2, 0.3])]
        )
        let html = HTMLReportWriter().render(report)
        #expect(!html.contains("<script>alert") && !html.contains("t <script>"))
        #expect(html.contains("t &lt;script&gt;"))
        #expect(!html.contains("SECRET"))
        #expect(html.contains("<svg id=\"sequence\""))
        #expect(html.components(separatedBy: "class=\"event ").count == 3)
        #expect(html.contains("class=\"histogram\""))
        #expect(html.contains("led_latency (n=4)"))
    }

    @Test("a secret that a long diagram label would cut in two is masked before the cut, at every position")
    func secretCutByTheLabelLimit() {
        let secret = "tok3n-S3CRET-value-abcdefghij"
        for padding in 0...60 {
            let label = "PUBLISH rv/" + String(repeating: "a", count: padding) + "/" + secret
            let report = HTMLReport(
                title: "t", subtitle: "", passed: true, steps: [],
                diagram: SequenceDiagram(lanes: ["hub", "dev"], events: [.init(time: 0, from: 1, to: 0, label: label, style: .packet)], spans: []),
                histograms: []
            )
            let html = HTMLReportWriter(redactor: SecretRedactor(secrets: [secret])).render(report)
            // No piece of the secret of 4 characters or more survives anywhere on the page.
            for length in 4...secret.count {
                #expect(!html.contains(String(secret.prefix(length))), "padding \(padding): \(secret.prefix(length)) shown")
            }
        }
    }
}
