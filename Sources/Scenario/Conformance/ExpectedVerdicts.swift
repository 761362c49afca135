import Foundation
import Yams

/// What a conformance pack is known to find on one broker, from a committed file (for
/// example `scenarios/conformance/mqtt-3.1.1/brokers/rabbitmq/verdicts.yaml`): the
/// statements it fails, each with the standard's text, what the broker does instead and where
/// the broker documents or tracks it; the statements that do not apply to it; those a run
/// cannot reach. A run whose verdicts differ from the file in either direction is a finding.
public struct ExpectedVerdicts: Sendable {
    /// One statement of the file.
    public struct Entry: Sendable, Hashable, Decodable {
        public var statement: String
        /// The standard's text of the statement (checked against the committed list).
        public var text: String?
        /// What the broker does instead (for `fails`).
        public var instead: String?
        /// An upstream issue or the broker's documentation, where one exists.
        public var reference: String?
        /// Why the statement does not apply, or is not reached (for `not_applicable`,
        /// `not_reached`).
        public var reason: String?
    }

    private struct File: Decodable {
        var broker: String
        var device: [String: String]?
        var fails: [Entry]?
        var not_applicable: [Entry]?
        var not_reached: [Entry]?
    }

    /// Why a verdicts file cannot be used.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The broker and version the file describes.
    public var broker: String
    /// Device settings every device of the run takes (`conform --device`), for example a
    /// user name and password a broker requires.
    public var device: [String: String]
    public var fails: [Entry]
    public var notApplicable: [Entry]
    public var notReached: [Entry]

    /// Loads and checks a verdicts file: every statement id is one of `standard`'s, each
    /// failure quotes the statement's text exactly and says what the broker does instead,
    /// and no statement appears twice.
    public static func load(path: String, standard: NormativeStatements = .mqtt311) throws(LoadError) -> ExpectedVerdicts {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw LoadError(description: "\(path): cannot read the verdicts file: \(ScenarioLoader.describe(error))")
        }
        let file: File
        do {
            file = try YAMLDecoder().decode(File.self, from: text)
        } catch let error as DecodingError {
            throw LoadError(description: "\(path): \(Self.describe(error))")
        } catch {
            throw LoadError(description: "\(path): not a verdicts file: \(error)")
        }
        var problems: [String] = []
        var seen: Set<String> = []
        let sections: [(String, [Entry])] = [("fails", file.fails ?? []), ("not_applicable", file.not_applicable ?? []), ("not_reached", file.not_reached ?? [])]
        for (section, entries) in sections {
            for entry in entries {
                let id = entry.statement
                if !seen.insert(id).inserted { problems.append("\(id) is listed twice") }
                if let problem = standard.problem(with: id) { problems.append("\(section): \(problem)") }
                // A failure quotes the statement; elsewhere a quote is optional, but never wrong.
                if let statement = standard[id], entry.text != statement.text, section == "fails" || entry.text != nil {
                    problems.append("\(section): \(id): 'text' must be the standard's text of the statement: \"\(statement.text)\"")
                }
                switch section {
                case "fails":
                    if (entry.instead ?? "").isEmpty { problems.append("fails: \(id) needs 'instead': what the broker does instead") }
                default:
                    if (entry.reason ?? "").isEmpty { problems.append("\(section): \(id) needs a 'reason'") }
                }
            }
        }
        guard problems.isEmpty else {
            throw LoadError(description: problems.map { "\(path): \($0)" }.joined(separator: "\n"))
        }
        return ExpectedVerdicts(
            broker: file.broker,
            device: file.device ?? [:],
            fails: file.fails ?? [],
            notApplicable: file.not_applicable ?? [],
            notReached: file.not_reached ?? []
        )
    }

    /// How the run's verdicts differ from the file, one line each; empty when they match.
    public func differences(from verdicts: StatementVerdicts) -> [String] {
        var expected: [String: StatementVerdicts.Verdict] = [:]
        for entry in fails { expected[entry.statement] = .failed }
        for entry in notApplicable { expected[entry.statement] = .notApplicable }
        for entry in notReached { expected[entry.statement] = .notReached }
        var lines: [String] = []
        var actual: [String: StatementVerdicts.Row] = [:]
        for row in verdicts.rows { actual[row.statement] = row }
        for statement in Set(expected.keys).union(actual.keys).sorted(by: StatementVerdicts.precedes) {
            let want = expected[statement] ?? .passed
            guard let row = actual[statement] else {
                lines.append("\(statement): the file says \(want.label), but no step of the pack checks it")
                continue
            }
            guard row.verdict != want else { continue }
            let why = row.steps.first.map { step in " (\(step.name) at \(step.location)\(step.reason.map { ": \($0)" } ?? ""))" } ?? ""
            lines.append("\(statement): the file says \(want.label), the run says \(row.verdict.label)\(why)")
        }
        // A failing step that checks no statement is a check the pack lacks (or a broken pack).
        for step in verdicts.untaggedFailures {
            lines.append("(no statement): \(step.name) at \(step.location) failed\(step.reason.map { ": \($0)" } ?? "")")
        }
        return lines
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing '\(key.stringValue)'" + (context.codingPath.isEmpty ? "" : " in \(path(context))")
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(path(context)): \(context.debugDescription)"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "not a verdicts file"
        }
    }
}
