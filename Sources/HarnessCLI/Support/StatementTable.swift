import Foundation

/// Which statements passed: a statement passes when every scenario that names it passed.
struct StatementTable {
    struct Row: Equatable {
        var statement: String
        var scenarios: [String]
        var passed: Bool
    }

    let rows: [Row]
    /// Scenarios that name no statement (listed on their own, so nothing is hidden).
    let untagged: [(name: String, passed: Bool)]

    init(_ runs: [(name: String, statements: [String], passed: Bool)]) {
        var byStatement: [String: Row] = [:]
        var untagged: [(name: String, passed: Bool)] = []
        for run in runs {
            if run.statements.isEmpty { untagged.append((run.name, run.passed)) }
            for statement in run.statements {
                var row = byStatement[statement] ?? Row(statement: statement, scenarios: [], passed: true)
                if !row.scenarios.contains(run.name) { row.scenarios.append(run.name) }
                row.passed = row.passed && run.passed
                byStatement[statement] = row
            }
        }
        rows = byStatement.values.sorted { Self.precedes($0.statement, $1.statement) }
        self.untagged = untagged
    }

    var isPassed: Bool { rows.allSatisfy(\.passed) && untagged.allSatisfy(\.passed) }

    /// The table, one statement a line, then a count.
    func render() -> String {
        let width = max(9, rows.map(\.statement.count).max() ?? 0)
        var lines = ["statement".padding(toLength: width, withPad: " ", startingAt: 0) + "  result  scenarios"]
        for row in rows {
            lines.append(row.statement.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + (row.passed ? "pass  " : "FAIL  ") + "  " + row.scenarios.joined(separator: ", "))
        }
        for run in untagged {
            lines.append("(none)".padding(toLength: width, withPad: " ", startingAt: 0) + "  " + (run.passed ? "pass  " : "FAIL  ") + "  " + run.name)
        }
        let failed = rows.filter { !$0.passed }.count
        lines.append("\(rows.count) statements: \(rows.count - failed) passed, \(failed) failed")
        return lines.joined(separator: "\n")
    }

    /// `MQTT-3.1.2-4` before `MQTT-3.1.2-13`: numbers compare as numbers.
    static func precedes(_ lhs: String, _ rhs: String) -> Bool {
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
