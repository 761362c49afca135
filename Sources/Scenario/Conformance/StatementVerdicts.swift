/// Per normative statement, what the steps that check it say: a statement is decided only
/// by the outcomes of the steps that name it (`statements:`), never by other steps of their
/// scenarios.
///
/// - fail: a step naming it failed (or errored);
/// - not reached: no step naming it failed, but one of them did not run because an earlier
///   step of its scenario failed (or the run could not start, or was interrupted): a
///   statement passes only when every check of it ran;
/// - not applicable: every step naming it took a `not_applicable` branch or was skipped
///   after one;
/// - pass: otherwise: every step naming it passed, or was not applicable.
public struct StatementVerdicts: Sendable {
    /// A step that decided (or could not decide) a statement, with where it is and why.
    public struct StepReference: Sendable, Hashable {
        public var scenario: String
        public var step: StepNumber
        public var title: String
        public var location: SourceLocation
        /// The one-line reason: the failure, the not-applicable reason, or why it was skipped.
        public var reason: String?

        /// `mqtt-second-connect step 3 (send_bytes ...)`.
        public var name: String { "\(scenario) step \(step)" }
    }

    /// One statement's verdict.
    public enum Verdict: Sendable, Hashable {
        case passed
        case failed
        case notApplicable
        case notReached

        /// `pass`, `FAIL`, `n/a`, `not reached`: the words of the table, the closing line and
        /// the comparison with a verdicts file alike.
        public var label: String {
            switch self {
            case .passed: "pass"
            case .failed: "FAIL"
            case .notApplicable: "n/a"
            case .notReached: "not reached"
            }
        }
    }

    /// One row: the statement, its verdict, and the steps behind it.
    public struct Row: Sendable, Hashable {
        public var statement: String
        public var verdict: Verdict
        /// The steps that decided the verdict: the failing ones for a failure, the
        /// not-applicable ones, the ones not reached, or the passing ones.
        public var steps: [StepReference]
        /// The steps naming the statement that ran and passed (for a statement not reached:
        /// the checks that did run).
        public var passedSteps: [StepReference] = []
    }

    /// Rows sorted by statement id, numbers compared as numbers.
    public let rows: [Row]
    /// Failed steps that name no statement (setup steps, cleanup, untagged checks): nothing
    /// is hidden, and a failure here that a broker's bug caused means the pack lacks a check.
    public let untaggedFailures: [StepReference]

    public init(_ results: [ScenarioResult]) {
        var byStatement: [String: [(StepReference, StepStatus)]] = [:]
        var untagged: [StepReference] = []
        for result in results {
            if let setupError = result.setupError {
                let first = result.scenario.steps.first
                untagged.append(StepReference(scenario: result.scenario.name, step: first?.number ?? StepNumber(1), title: "setup", location: first?.location ?? SourceLocation(file: result.scenario.path, line: 1, column: 1), reason: setupError))
            }
            for stepResult in result.steps {
                let step = stepResult.step
                let reference = StepReference(scenario: result.scenario.name, step: step.number, title: step.title, location: step.location, reason: Self.reason(stepResult.status))
                if step.statements.isEmpty {
                    if stepResult.status.isFailure { untagged.append(reference) }
                    continue
                }
                for statement in step.statements { byStatement[statement, default: []].append((reference, stepResult.status)) }
            }
        }
        rows = byStatement.map { statement, outcomes in
            Self.row(statement, outcomes)
        }.sorted { Self.precedes($0.statement, $1.statement) }
        untaggedFailures = untagged
    }

    private static func row(_ statement: String, _ outcomes: [(StepReference, StepStatus)]) -> Row {
        let failed = outcomes.filter { $0.1.isFailure }.map(\.0)
        let passed = outcomes.filter { $0.1.isPassed }.map(\.0)
        if !failed.isEmpty { return Row(statement: statement, verdict: .failed, steps: failed, passedSteps: passed) }
        let notReached = outcomes.filter {
            if case .skipped = $0.1 { return !$0.1.isSkippedAsNotApplicable }
            return false
        }.map(\.0)
        if !notReached.isEmpty { return Row(statement: statement, verdict: .notReached, steps: notReached, passedSteps: passed) }
        if passed.isEmpty {
            return Row(statement: statement, verdict: .notApplicable, steps: outcomes.map(\.0))
        }
        return Row(statement: statement, verdict: .passed, steps: passed, passedSteps: passed)
    }

    private static func reason(_ status: StepStatus) -> String? {
        switch status {
        case .passed: nil
        case .failed(let failure): failure.description
        case .errored(let message): message
        case .skipped(let reason): reason
        case .notApplicable(let reason): reason
        }
    }

    /// Whether no statement failed and no untagged step failed.
    public var isPassed: Bool { rows.allSatisfy { $0.verdict != .failed } && untaggedFailures.isEmpty }

    /// The statements with `verdict`.
    public func statements(_ verdict: Verdict) -> [String] { rows.filter { $0.verdict == verdict }.map(\.statement) }

    /// How many statements of `standard` the steps checked (passed, failed or not applicable
    /// on this run alike) out of how many it has.
    public func coverage(of standard: NormativeStatements) -> (checked: Int, total: Int) {
        (rows.filter { standard[$0.statement] != nil }.count, standard.all.count)
    }

    /// `MQTT-3.1.2-4` before `MQTT-3.1.2-13`: numbers compare as numbers.
    public static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        let left = parts(lhs)
        let right = parts(rhs)
        for (a, b) in zip(left, right) where a != b {
            switch (Int(a), Int(b)) {
            case (let x?, let y?): return x < y
            case (nil, _?): return false
            case (_?, nil): return true
            default: return a < b
            }
        }
        return left.count < right.count
    }

    private static func parts(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "-" || $0 == "." }).map(String.init)
    }
}
