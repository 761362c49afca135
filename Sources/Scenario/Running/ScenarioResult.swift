import Foundation

/// How one step ended.
public enum StepStatus: Sendable, Hashable {
    case passed
    /// An expectation did not hold.
    case failed(Failure)
    /// The step could not be carried out.
    case errored(message: String)
    /// Not run because an earlier step failed.
    case skipped(reason: String)

    public var isPassed: Bool { self == .passed }
}

/// Why an expectation failed: what was expected, what was observed, and when.
public struct Failure: Sendable, Hashable, CustomStringConvertible {
    public var expected: String
    public var observed: String

    public init(expected: String, observed: String) {
        self.expected = expected
        self.observed = observed
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
    /// For expectations: the step whose action they measure from (0: the start of the run).
    public var causeStep: Int?

    public var duration: Duration { .nanoseconds(Int64(endTime &- startTime)) }
}

/// The result of running one scenario.
public struct ScenarioResult: Sendable {
    public var scenario: Scenario
    /// Wall-clock start, for the report's timestamp.
    public var startDate: Date
    /// Monotonic start and end, nanoseconds.
    public var startTime: UInt64
    public var endTime: UInt64
    public var steps: [StepResult]
    /// Everything observed, in order.
    public var timeline: [TimelineEntry]
    /// A problem that stopped the run outside any step (for example the hub failed to start).
    public var setupError: String?
    /// Secret values of the run (device keys) that reports must mask.
    public var secrets: [String] = []

    public var duration: Duration { .nanoseconds(Int64(endTime &- startTime)) }
    public var passedCount: Int { steps.filter { $0.status.isPassed }.count }
    public var failedCount: Int {
        steps.filter {
            switch $0.status {
            case .failed, .errored: true
            default: false
            }
        }.count + (setupError == nil ? 0 : 1)
    }
    public var skippedCount: Int {
        steps.filter { if case .skipped = $0.status { true } else { false } }.count
    }
    public var isPassed: Bool { failedCount == 0 }
}
