import Foundation
import Scenario

/// The console table of `harness conform`: one line per statement with its verdict and the
/// step behind it (for a failure, the failing step with its scenario, place and reason), then
/// the steps that failed outside any statement.
struct StatementTable {
    let verdicts: StatementVerdicts

    /// The table, one statement a line.
    func render() -> String {
        let width = max(14, verdicts.rows.map(\.statement.count).max() ?? 0)
        let labelWidth = [StatementVerdicts.Verdict.passed, .failed, .notApplicable, .notReached].map(\.label.count).max() ?? 6
        func pad(_ text: String) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
        func label(_ text: String) -> String { text.padding(toLength: labelWidth, withPad: " ", startingAt: 0) }
        var lines = [pad("statement") + "  " + label("result") + "  decided by"]
        for row in verdicts.rows {
            lines.append(pad(row.statement) + "  " + label(row.verdict.label) + "  " + Self.detail(row))
        }
        for step in verdicts.untaggedFailures {
            lines.append(pad("(no statement)") + "  " + label(StatementVerdicts.Verdict.failed.label) + "  " + Self.describe(step))
        }
        return lines.joined(separator: "\n")
    }

    /// For a pass, the scenarios whose steps checked it; otherwise the first step behind the
    /// verdict with its reason, and how many more.
    static func detail(_ row: StatementVerdicts.Row) -> String {
        switch row.verdict {
        case .passed:
            var names: [String] = []
            for step in row.steps where !names.contains(step.scenario) { names.append(step.scenario) }
            return names.prefix(3).joined(separator: ", ") + (names.count > 3 ? " and \(names.count - 3) more" : "")
        case .failed, .notApplicable, .notReached:
            guard let first = row.steps.first else { return "" }
            var text = describe(first) + (row.steps.count > 1 ? " (and \(row.steps.count - 1) more step\(row.steps.count == 2 ? "" : "s"))" : "")
            if row.verdict == .notReached, !row.passedSteps.isEmpty {
                // The checks that did run passed, but a check of it did not run.
                text += "; \(row.passedSteps.count) other check\(row.passedSteps.count == 1 ? "" : "s") of it passed"
            }
            return text
        }
    }

    /// `mqtt-basic step 6 (basic.yaml:14:5): expected ...; observed ...`, on one line.
    static func describe(_ step: StatementVerdicts.StepReference) -> String {
        let file = URL(fileURLWithPath: step.location.file).lastPathComponent
        let reason = (step.reason ?? "").split(whereSeparator: \.isNewline).joined(separator: " ")
        return "\(step.name) (\(file):\(step.location.line):\(step.location.column))" + (reason.isEmpty ? "" : ": \(reason)")
    }

    /// `61 of the 141 MQTT 3.1.1 statements checked: 55 pass, 3 fail, 2 n/a, 1 not reached`,
    /// in the words of the table.
    func summary(standard: NormativeStatements) -> String {
        let (checked, total) = verdicts.coverage(of: standard)
        let own = verdicts.rows.count - checked
        let counts = [StatementVerdicts.Verdict.passed, .failed, .notApplicable, .notReached].map { verdict in
            "\(verdicts.statements(verdict).count) \(verdict.label.lowercased())"
        }.joined(separator: ", ")
        let untagged = verdicts.untaggedFailures.isEmpty ? "" : "; \(verdicts.untaggedFailures.count) failed step\(verdicts.untaggedFailures.count == 1 ? "" : "s") outside any statement"
        return "\(checked) of the \(total) \(standard.name) statements checked\(own > 0 ? " (and \(own) of the pack's own)" : ""): \(counts)\(untagged)"
    }
}
