import Foundation

/// Renders an ``HTMLReport`` as one self-contained page: inline CSS and SVG, no external
/// resources, every text escaped and redacted.
public struct HTMLReportWriter: Sendable {
    public var redactor: SecretRedactor

    public init(redactor: SecretRedactor = SecretRedactor()) {
        self.redactor = redactor
    }

    public func render(_ report: HTMLReport) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>\(text(report.title))</title>
            <style>
            \(ReportStyle.common)
            td.time{text-align:right;font-variant-numeric:tabular-nums}td.detail{color:#5b6475;white-space:pre-wrap;max-width:720px}
            svg text{font:12px ui-monospace,monospace;stroke:none}.lane{stroke:#9aa3b2;stroke-dasharray:4 3}
            .packet{stroke:#2b6cb0;fill:#2b6cb0}.cloud{stroke:#6b46c1;fill:#6b46c1}.state{stroke:#1f8f4e;fill:#1f8f4e}
            .fault{stroke:#c0362c;fill:#c0362c}.step{stroke:#5b6475;fill:#5b6475}.span{stroke:#d97706;fill:#d97706}
            .bar{fill:#2b6cb0}
            </style></head>
            <body data-rendered="0">
            <h1>\(text(report.title)) <span class="verdict \(report.passed ? "passed" : "failed")">\(report.passed ? "passed" : "failed")</span></h1>
            <p class="sub">\(text(report.subtitle))</p>
            <table><tr><th>step</th><th>result</th><th>time</th><th>detail</th></tr>

            """
        for step in report.steps {
            html += "<tr><td>\(text(step.name))</td><td><span class=\"verdict \(step.status.rawValue)\">\(step.status.rawValue)</span></td>"
            html += "<td class=\"time\">\(String(format: "%.3f", step.seconds * 1000)) ms</td><td class=\"detail\">\(text(step.detail))</td></tr>\n"
        }
        html += "</table>\n<h2>Sequence</h2>\n"
        html += renderDiagram(report.diagram)
        if !report.histograms.isEmpty {
            html += "<h2>Latency histograms</h2>\n"
            for histogram in report.histograms { html += renderHistogram(histogram) }
        }
        html += """
            <script>
            // Marks the page once the browser has laid out the diagram, for automated checks.
            window.addEventListener('load', function () {
              var svg = document.getElementById('sequence');
              var box = svg ? svg.getBBox() : {width: 0, height: 0};
              document.body.setAttribute('data-rendered', String(Math.round(box.width * box.height > 0 ? svg.querySelectorAll('.event').length : 0)));
            });
            </script>
            </body></html>

            """
        return html
    }

    private func renderDiagram(_ diagram: SequenceDiagram) -> String {
        let laneWidth = 200.0
        let left = 110.0
        let top = 40.0
        let rowHeight = 24.0
        let labelRoom = 380.0
        let spanRoom = 170.0
        let width = left + laneWidth * Double(max(1, diagram.lanes.count)) + labelRoom + spanRoom
        let height = top + rowHeight * Double(diagram.events.count + 1) + 20
        func x(_ lane: Int) -> Double { left + laneWidth * (Double(lane) + 0.5) }
        func y(_ row: Int) -> Double { top + rowHeight * (Double(row) + 1) }
        var svg = "<svg id=\"sequence\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">\n"
        svg += "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"context-stroke\"/></marker></defs>\n"
        for (index, lane) in diagram.lanes.enumerated() {
            svg += "<text x=\"\(x(index))\" y=\"20\" text-anchor=\"middle\" font-weight=\"bold\">\(text(lane))</text>"
            svg += "<line class=\"lane\" x1=\"\(x(index))\" y1=\"28\" x2=\"\(x(index))\" y2=\"\(height - 10)\"/>\n"
        }
        for (row, event) in diagram.events.enumerated() {
            let rowY = y(row)
            // Redacted before it is cut: a secret cut in two would no longer be recognised.
            let shown = redactor.redact(event.label)
            let label = shown.count > 56 ? String(shown.prefix(53)) + "..." : shown
            svg += "<g class=\"event \(event.style.rawValue)\"><title>\(text(event.label))</title>"
            svg += "<text x=\"4\" y=\"\(rowY + 4)\" fill=\"#5b6475\">+\(String(format: "%.3f", event.time * 1000)) ms</text>"
            if event.from == event.to {
                svg += "<circle cx=\"\(x(event.from))\" cy=\"\(rowY)\" r=\"4\"/>"
                svg += "<text x=\"\(x(event.from) + 8)\" y=\"\(rowY + 4)\">\(text(label))</text>"
            } else {
                let x1 = x(event.from)
                let x2 = x(event.to)
                svg += "<line x1=\"\(x1)\" y1=\"\(rowY)\" x2=\"\(x2)\" y2=\"\(rowY)\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>"
                svg += "<text x=\"\(min(x1, x2) + 6)\" y=\"\(rowY - 5)\">\(text(label))</text>"
            }
            svg += "</g>\n"
        }
        for span in diagram.spans where span.fromEvent < diagram.events.count && span.toEvent < diagram.events.count {
            let spanX = width - spanRoom + 12
            let y1 = y(span.fromEvent)
            let y2 = y(span.toEvent)
            svg += "<g class=\"span\"><path d=\"M\(spanX - 6),\(y1) H\(spanX) V\(y2) H\(spanX - 6)\" fill=\"none\" stroke-width=\"1.5\"/>"
            svg += "<text x=\"\(spanX + 6)\" y=\"\((y1 + y2) / 2 + 4)\">\(text(span.label))</text></g>\n"
        }
        svg += "</svg>\n"
        if diagram.omittedEvents > 0 {
            svg += "<p class=\"sub\">\(diagram.omittedEvents) further events are in trace.jsonl.</p>\n"
        }
        return svg
    }

    private func renderHistogram(_ histogram: Histogram) -> String {
        let samples = histogram.milliseconds.sorted()
        guard let low = samples.first, let high = samples.last else { return "" }
        let binCount = min(30, max(5, Int(Double(samples.count).squareRoot())))
        let span = max(high - low, 0.001)
        var bins = [Int](repeating: 0, count: binCount)
        for sample in samples {
            bins[min(binCount - 1, Int((sample - low) / span * Double(binCount)))] += 1
        }
        let width = 640.0
        let height = 160.0
        let peak = Double(bins.max() ?? 1)
        let barWidth = (width - 60) / Double(binCount)
        var svg = "<h3>\(text(histogram.title)) (n=\(samples.count))</h3>\n"
        svg += "<svg class=\"histogram\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height + 30))\">\n"
        for (index, count) in bins.enumerated() {
            let barHeight = Double(count) / peak * height
            svg += "<rect class=\"bar\" x=\"\(40 + Double(index) * barWidth)\" y=\"\(height - barHeight + 5)\" width=\"\(max(1, barWidth - 2))\" height=\"\(barHeight)\"><title>\(count)</title></rect>"
        }
        svg += "<text x=\"40\" y=\"\(height + 22)\">\(String(format: "%.3f", low)) ms</text>"
        svg += "<text x=\"\(width - 20)\" y=\"\(height + 22)\" text-anchor=\"end\">\(String(format: "%.3f", high)) ms</text>"
        svg += "<text x=\"4\" y=\"14\">\(Int(peak))</text>\n</svg>\n"
        return svg
    }

    private func text(_ value: String) -> String {
        XMLEscaping.escape(ControlCharacterEscaping.escape(redactor.redact(value)), inAttribute: false)
    }
}
