import Reporting

extension ScenarioResult {
    /// This run's latency samples as mergeable histograms, for the file beside the JUnit
    /// report: each expectation's latency (`step-05.latency`; on a fleet step, every member's) and each metric of each `repeat`
    /// block (`repeat.step-04.latency`), named like the JUnit properties they back.
    public func makeLatencyHistograms() -> LatencyHistogramFile.Suite {
        var metrics: [String: LatencyHistogram] = [:]
        for result in steps {
            let label = "step-" + result.step.number.padded
            if let fleet = result.fleet, !fleet.latencies.isEmpty {
                // Every member's latency, so percentiles over shards come from merged samples.
                metrics["\(label).latency"] = fleet.latencies
            } else if case .expect = result.step.kind, let latency = result.latency {
                metrics["\(label).latency"] = LatencyHistogram(durations: [latency])
            }
            if let repetition = result.repetition {
                for (metric, samples) in repetition.samples where !samples.isEmpty {
                    metrics["repeat.\(label).\(metric)"] = LatencyHistogram(durations: samples)
                }
            }
        }
        return LatencyHistogramFile.Suite(name: suiteName, metrics: metrics)
    }
}
