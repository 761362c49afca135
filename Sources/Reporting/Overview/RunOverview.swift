import Foundation

/// What `reports/index.html` shows: every scenario and target of a run (or of several merged
/// runs) with outcome, duration, failed step and key latencies, linking each run's own
/// `report.html`; and latency distributions with percentiles from the (merged) histograms.
///
/// Made from a JUnit report and its histograms only, so that `harness run` and
/// `harness report merge` draw the same page from the same facts.
public struct RunOverview: Sendable, Hashable {
    /// How a run ended.
    public enum Outcome: String, Sendable, Hashable {
        case passed, failed, errored, skipped
    }

    /// One scenario run against one target.
    public struct Row: Sendable, Hashable {
        /// The JUnit suite's name (`c2d-led`, `c2d-led [mosquitto]`).
        public var name: String
        public var target: String
        public var outcome: Outcome
        public var seconds: Double
        public var testCount: Int
        /// The first failed or errored step and why; `nil` when none failed.
        public var failedStep: String?
        public var failure: String?
        /// Key latencies, for example `step 05 latency: 12.345 ms`.
        public var latencies: [String]
        /// The run's own report, relative to the overview; `nil` when there is none.
        public var link: String?
    }

    /// A latency distribution: one metric of one suite, over every run of it that was merged.
    public struct Distribution: Sendable, Hashable {
        public var suite: String
        public var metric: String
        /// How many runs (shards) it merges.
        public var runs: Int
        public var histogram: LatencyHistogram
    }

    public var title: String
    public var subtitle: String
    public var rows: [Row]
    /// Metrics with more than one sample (repeat blocks, fleets), merged over runs of the
    /// same suite.
    public var distributions: [Distribution]

    public var passedCount: Int { rows.filter { $0.outcome == .passed || $0.outcome == .skipped }.count }
    public var isPassed: Bool { rows.allSatisfy { $0.outcome == .passed || $0.outcome == .skipped } }

    /// The percentiles the overview shows.
    public static let percentiles: [(label: String, value: Double)] = [("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9)]

    /// The overview of `report` whose suite `i` has the histograms `histograms[i]` and its
    /// report at `links[i]`.
    public init(title: String, subtitle: String, report: JUnitReport, histograms: [LatencyHistogramFile.Suite], links: [Int: String]) {
        self.title = title
        self.subtitle = subtitle
        var rows: [Row] = []
        var merged: [String: [String: (runs: Int, histogram: LatencyHistogram)]] = [:]
        var suiteOrder: [String] = []
        for (index, suite) in report.suites.enumerated() {
            let metrics = index < histograms.count ? histograms[index].metrics : [:]
            rows.append(Self.row(suite, metrics: metrics, link: links[index]))
            if merged[suite.name] == nil { suiteOrder.append(suite.name) }
            for (metric, histogram) in metrics {
                var entry = merged[suite.name, default: [:]][metric] ?? (0, LatencyHistogram())
                entry.runs += 1
                entry.histogram.merge(histogram)
                merged[suite.name, default: [:]][metric] = entry
            }
        }
        self.rows = rows
        distributions = suiteOrder.flatMap { suite in
            (merged[suite] ?? [:]).keys.sorted().compactMap { metric -> Distribution? in
                guard let entry = merged[suite]?[metric], entry.histogram.count > 1 else { return nil }
                return Distribution(suite: suite, metric: metric, runs: entry.runs, histogram: entry.histogram)
            }
        }
    }

    private static func row(_ suite: JUnitTestSuite, metrics: [String: LatencyHistogram], link: String?) -> Row {
        let outcome: Outcome =
            suite.failureCount > 0 ? .failed
            : suite.errorCount > 0 ? .errored
            : !suite.testCases.isEmpty && suite.skippedCount == suite.testCases.count ? .skipped : .passed
        var failedStep: String?
        var failure: String?
        for testCase in suite.testCases {
            switch testCase.outcome {
            case .failed(let message, _, _), .errored(let message, _, _):
                failedStep = testCase.name
                failure = message
            case .passed, .skipped:
                continue
            }
            break
        }
        var latencies: [String] = []
        for property in suite.properties where property.name.hasPrefix("latency.") && property.name.hasSuffix(".ms") {
            let label = property.name.dropFirst("latency.".count).dropLast(".ms".count).replacingOccurrences(of: "step-", with: "step ")
            latencies.append("\(label): \(property.value) ms")
        }
        for metric in metrics.keys.sorted() {
            guard let histogram = metrics[metric], histogram.count > 1 else { continue }
            let p50 = histogram.value(atPercentile: 50).map(milliseconds) ?? "-"
            let p99 = histogram.value(atPercentile: 99).map(milliseconds) ?? "-"
            latencies.append("\(metric): p50 \(p50) ms, p99 \(p99) ms (n=\(histogram.count))")
        }
        let target = suite.properties.first { $0.name == "target" }?.value ?? ""
        return Row(
            name: suite.name, target: target, outcome: outcome, seconds: suite.time, testCount: suite.testCases.count,
            failedStep: failedStep, failure: failure, latencies: latencies, link: link
        )
    }

    /// Nanoseconds as milliseconds with microsecond precision: `12.345`.
    public static func milliseconds(_ nanoseconds: UInt64) -> String {
        String(format: "%.3f", Double(nanoseconds) / 1e6)
    }
}
