import Foundation

/// Renders a ``RunOverview`` as one self-contained page (`index.html`): inline CSS and SVG, no
/// external resources, every text escaped and redacted.
public struct RunOverviewWriter: Sendable {
    public var redactor: SecretRedactor

    public init(redactor: SecretRedactor = SecretRedactor()) {
        self.redactor = redactor
    }

    public func render(_ overview: RunOverview) -> String {
        let verdict = overview.isPassed ? "passed" : "failed"
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>\(text(overview.title))</title>
            <style>
            \(ReportStyle.common)
            td.time{text-align:right;font-variant-numeric:tabular-nums}td.detail{color:#5b6475;white-space:pre-wrap;max-width:520px}
            ul.latency{margin:0;padding-left:16px}svg text{font:12px ui-monospace,monospace}.bar{fill:#2b6cb0}
            </style></head>
            <body data-rendered="0" data-histograms="0">
            <h1>\(text(overview.title)) <span class="verdict \(verdict)">\(verdict)</span></h1>
            <p class="sub">\(text(overview.subtitle)) &#183; \(overview.passedCount) of \(overview.rows.count) run\(overview.rows.count == 1 ? "" : "s") passed</p>
            <table id="runs"><tr><th>scenario</th><th>target</th><th>result</th><th>time</th><th>failed step</th><th>key latencies</th></tr>

            """
        for row in overview.rows {
            let name = row.link.map { "<a href=\"\(attribute(Self.encodeLink($0)))\">\(text(row.name))</a>" } ?? text(row.name)
            html += "<tr class=\"run\"><td>\(name)</td><td>\(text(row.target))</td>"
            html += "<td><span class=\"verdict \(row.outcome.rawValue)\">\(row.outcome.rawValue)</span></td>"
            html += "<td class=\"time\">\(String(format: "%.3f", row.seconds)) s</td>"
            let failure = row.failedStep.map { step in text(step) + (row.failure.map { "\n" + text($0) } ?? "") } ?? ""
            html += "<td class=\"detail\">\(failure)</td><td>"
            if !row.latencies.isEmpty {
                html += "<ul class=\"latency\">" + row.latencies.map { "<li>\(text($0))</li>" }.joined() + "</ul>"
            }
            html += "</td></tr>\n"
        }
        html += "</table>\n"
        if !overview.distributions.isEmpty {
            html += "<h2>Latency distributions</h2>\n<p class=\"sub\">Percentiles from the merged histograms of every run of a scenario (within 1.6 %), never averaged.</p>\n"
            html += "<table id=\"percentiles\"><tr><th>scenario</th><th>metric</th><th>runs</th><th>count</th>"
            html += RunOverview.percentiles.map { "<th>\($0.label)</th>" }.joined() + "<th>max</th></tr>\n"
            for distribution in overview.distributions {
                let histogram = distribution.histogram
                html += "<tr class=\"distribution\"><td>\(text(distribution.suite))</td><td>\(text(distribution.metric))</td>"
                html += "<td class=\"time\">\(distribution.runs)</td><td class=\"time\">\(histogram.count)</td>"
                for percentile in RunOverview.percentiles {
                    html += "<td class=\"time\">\(histogram.value(atPercentile: percentile.value).map(RunOverview.milliseconds) ?? "-") ms</td>"
                }
                html += "<td class=\"time\">\(RunOverview.milliseconds(histogram.maximum)) ms</td></tr>\n"
            }
            html += "</table>\n"
            for distribution in overview.distributions { html += renderHistogram(distribution) }
        }
        html += """
            <script>
            // Marks the page once the browser has laid it out, for automated checks.
            window.addEventListener('load', function () {
              var rows = Array.prototype.filter.call(document.querySelectorAll('tr.run'), function (r) { return r.getBoundingClientRect().height > 0; });
              var charts = Array.prototype.filter.call(document.querySelectorAll('svg.histogram'), function (s) { var b = s.getBBox(); return b.width * b.height > 0; });
              document.body.setAttribute('data-rendered', String(rows.length));
              document.body.setAttribute('data-histograms', String(charts.length));
            });
            </script>
            </body></html>

            """
        return html
    }

    /// Bars over a logarithmic axis from the minimum to the maximum, each bucket's count added
    /// to the bar its middle falls in.
    private func renderHistogram(_ distribution: RunOverview.Distribution) -> String {
        let histogram = distribution.histogram
        let low = Double(max(1, histogram.minimum))
        let high = Double(max(1, histogram.maximum))
        let barCount = high > low ? 30 : 1
        var bars = [UInt64](repeating: 0, count: barCount)
        let span = log(high) - log(low)
        for bucket in histogram.sortedBuckets {
            let middle = min(high, max(low, (Double(bucket.lowest) + Double(bucket.highest)) / 2))
            let index = span > 0 ? Int((log(middle) - log(low)) / span * Double(barCount)) : 0
            bars[min(barCount - 1, max(0, index))] += bucket.count
        }
        let width = 640.0
        let height = 140.0
        let peak = Double(max(1, bars.max() ?? 1))
        let barWidth = (width - 60) / Double(barCount)
        var svg = "<h3>\(text(distribution.suite)): \(text(distribution.metric)) (n=\(histogram.count))</h3>\n"
        svg += "<svg class=\"histogram\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height + 30))\">\n"
        for (index, count) in bars.enumerated() {
            let barHeight = Double(count) / peak * height
            svg += "<rect class=\"bar\" x=\"\(40 + Double(index) * barWidth)\" y=\"\(height - barHeight + 5)\" width=\"\(max(1, barWidth - 2))\" height=\"\(barHeight)\"><title>\(count)</title></rect>"
        }
        svg += "<text x=\"40\" y=\"\(height + 22)\">\(RunOverview.milliseconds(histogram.minimum)) ms</text>"
        svg += "<text x=\"\(width - 20)\" y=\"\(height + 22)\" text-anchor=\"end\">\(RunOverview.milliseconds(histogram.maximum)) ms (log scale)</text>"
        svg += "<text x=\"4\" y=\"14\">\(Int(peak))</text>\n</svg>\n"
        return svg
    }

    /// A relative link with each path component percent-encoded (`#`, `?`, spaces), starting
    /// with `./` or `../` so that no component can read as a URL scheme.
    static func encodeLink(_ path: String) -> String {
        let relative = path.hasPrefix("../") || path.hasPrefix("./") ? path : "./" + path.drop { $0 == "/" }
        return relative.split(separator: "/", omittingEmptySubsequences: false).map { component in
            String(component).addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/;?#"))) ?? ""
        }.joined(separator: "/")
    }

    private func text(_ value: String) -> String {
        XMLEscaping.escape(ControlCharacterEscaping.escape(redactor.redact(value)), inAttribute: false)
    }

    private func attribute(_ value: String) -> String {
        XMLEscaping.escape(ControlCharacterEscaping.escape(redactor.redact(value)), inAttribute: true)
    }
}
