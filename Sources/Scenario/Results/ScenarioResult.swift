import IoTHubCore
import Foundation
import Reporting

/// How one step ended.
public enum StepStatus: Sendable, Hashable {
    case passed
    /// An expectation did not hold.
    case failed(Failure)
    /// The step could not be carried out.
    case errored(message: String)
    /// Not run because an earlier step failed (or made the rest not applicable).
    case skipped(reason: String)
    /// The peer took a branch the specification allows that makes the step's statements not
    /// apply to it (a `one_of` branch with `not_applicable`); the scenario's later steps are
    /// skipped, its `finally:` part still runs.
    case notApplicable(reason: String)

    public var isPassed: Bool { self == .passed }

    /// A step skipped because an earlier step of its scenario was not applicable.
    static func skippedAsNotApplicable(after step: StepNumber, reason: String) -> StepStatus {
        .skipped(reason: "not applicable after step \(step): \(reason)")
    }

    /// Whether the step was skipped because an earlier one was not applicable (its statements
    /// then do not apply either).
    public var isSkippedAsNotApplicable: Bool {
        if case .skipped(let reason) = self { return reason.hasPrefix("not applicable after step ") }
        return false
    }

    /// Whether the step failed or errored.
    public var isFailure: Bool {
        switch self {
        case .failed, .errored: true
        case .passed, .skipped, .notApplicable: false
        }
    }
}

/// Why an expectation failed: what was expected, what was observed, and when.
public struct Failure: Sendable, Hashable, CustomStringConvertible {
    public var expected: String
    public var observed: String

    /// Control characters in either text are escaped: both may quote what a peer sent.
    public init(expected: String, observed: String) {
        self.expected = ControlCharacterEscaping.escape(expected)
        self.observed = ControlCharacterEscaping.escape(observed)
    }

    public var description: String { "expected \(expected); observed \(observed)" }
}

/// The result of one step.
public struct StepResult: Sendable {
    public var step: Step
    public var status: StepStatus
    /// Monotonic start and end of the step, nanoseconds.
    public var startTime: UInt64
    public var endTime: UInt64
    /// For expectations: time from the causing action to the observation that satisfied it.
    public var latency: Duration?
    /// For expectations: the step whose action they measure from (`nil`: the start of the run).
    public var causeStep: StepNumber?
    /// For `repeat` blocks: the iterations and latency statistics.
    public var repetition: RepeatOutcome?
    /// For `chaos` blocks: the seed, iterations and strikes.
    public var chaos: ChaosOutcome?
    /// For steps on a fleet: the members' outcomes and latencies.
    public var fleet: FleetStepOutcome?
    /// For `provision`: the Device Provisioning Service's final answer (with the status polls).
    public var provisioning: ProvisioningResult?

    public var duration: Duration { .nanoseconds(Int64(endTime &- startTime)) }
}

/// What a `repeat` block measured.
public struct RepeatOutcome: Sendable, Hashable {
    /// One threshold and whether it held.
    public struct ThresholdCheck: Sendable, Hashable {
        public var threshold: LatencyThreshold
        /// The statistic's value; `nil` when the block had no sample for the metric.
        public var value: Duration?
        public var isMet: Bool
    }

    public var iterationsPlanned: Int
    public var iterationsRun: Int
    /// Latency samples per metric (`latency`, `led_latency`, ...), in order.
    public var samples: [String: [Duration]]
    public var checks: [ThresholdCheck]

    /// The value of a statistic over a metric's samples (nearest rank for percentiles).
    public func statistic(_ statistic: LatencyThreshold.Statistic, of metric: String) -> Duration? {
        guard let values = samples[metric], !values.isEmpty else { return nil }
        let sorted = values.sorted()
        func percentile(_ fraction: Double) -> Duration {
            let rank = Int((fraction * Double(sorted.count)).rounded(.up))
            return sorted[min(sorted.count - 1, max(0, rank - 1))]
        }
        switch statistic {
        case .min: return sorted.first
        case .max: return sorted.last
        case .p50: return percentile(0.50)
        case .p90: return percentile(0.90)
        case .p95: return percentile(0.95)
        case .p99: return percentile(0.99)
        case .mean:
            let total = sorted.reduce(Duration.zero, +)
            return total / sorted.count
        }
    }
}

/// The result of running one scenario against one target.
public struct ScenarioResult: Sendable {
    public var scenario: Scenario
    public var target: ScenarioTarget
    /// Wall-clock start, for the report's timestamp.
    public var startDate: Date
    /// Monotonic start and end, nanoseconds.
    public var startTime: UInt64
    public var endTime: UInt64
    public var steps: [StepResult]
    /// Everything observed, in order.
    public var entries: [RunRecord.Entry]
    /// A problem that stopped the run outside any step (for example the hub failed to start).
    public var setupError: String?
    /// Secret values of the run (device keys, tokens, secret variables) that reports must mask.
    public var secrets: [String] = []
    /// The run's seed (jitter, chaos strikes): `--seed` with it replays them.
    public var seed: UInt64 = 0

    /// `c2d-led`, or `c2d-led [mosquitto]` when the scenario has several targets.
    public var suiteName: String {
        scenario.targets.count > 1 ? "\(scenario.name) [\(target.name)]" : scenario.name
    }

    public var duration: Duration { .nanoseconds(Int64(endTime &- startTime)) }
    public var passedCount: Int { steps.filter { $0.status.isPassed }.count }
    public var failedCount: Int {
        steps.filter(\.status.isFailure).count + (setupError == nil ? 0 : 1)
    }
    /// Skipped and not applicable steps: neither passed nor failed.
    public var skippedCount: Int {
        steps.filter {
            switch $0.status {
            case .skipped, .notApplicable: true
            default: false
            }
        }.count
    }
    public var isPassed: Bool { failedCount == 0 }
}

extension ScenarioResult {
    /// Every packet of the run, in order, each once at its device's vantage.
    public var packets: [PacketObservation] {
        entries.compactMap { if case .packet(let observation) = $0.event { observation } else { nil } }
    }
}

/// What a step did across the members of a fleet: how many it concerned and how many had to
/// pass, how many did, their latencies, and the first members that missed with what each
/// observed.
public struct FleetStepOutcome: Sendable {
    /// How many missed members a report names.
    public static let listedMisses = 10

    /// One member that missed.
    public struct Miss: Sendable, Hashable {
        public var device: DeviceID
        public var observed: String
    }

    /// Members the step concerned on this run (this shard's part of the selection).
    public var selected: Int
    /// Members that had to pass (`devices:`).
    public var required: Int
    public var passed = 0
    /// Latency per member that passed (an expectation's, or an action's time to complete).
    public var latencies = LatencyHistogram()
    /// How many missed, and the first ``listedMisses`` of them by id.
    public var missedCount = 0
    public var misses: [Miss] = []
    /// A remark for reports (a selection no member of which runs here).
    public var note: String?

    public init(selected: Int, required: Int) {
        self.selected = selected
        self.required = required
    }

    /// `3 of 100 devices missed it, 97 passed: sensor-7 (no CONNACK), ...` (first ten).
    public func describeMisses() -> String {
        let list = misses.map { "\($0.device) (\($0.observed))" }.joined(separator: ", ")
        let more = missedCount > misses.count ? " and \(missedCount - misses.count) more" : ""
        let need = required < selected ? " (\(required) needed)" : ""
        return "\(missedCount) of \(selected) devices missed it\(need), \(passed) passed" + (list.isEmpty ? "" : ": \(list)\(more)")
    }
}
