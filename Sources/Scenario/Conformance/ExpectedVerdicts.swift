import Foundation
import Yams

/// What a conformance pack is known to find on one broker, from a committed file (for
/// example `scenarios/conformance/mqtt-3.1.1/brokers/rabbitmq/verdicts.yaml`): the
/// statements it fails, each with the standard's text, what the broker does instead and where
/// the broker documents or tracks it; the statements that do not apply to it; those a run
/// cannot reach. A run whose verdicts differ from the file in either direction is a finding.
public struct ExpectedVerdicts: Sendable {
    /// One statement of the file.
    public struct Entry: Sendable, Hashable {
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

        public init(statement: String, text: String? = nil, instead: String? = nil, reference: String? = nil, reason: String? = nil) {
            self.statement = statement
            self.text = text
            self.instead = instead
            self.reference = reference
            self.reason = reason
        }
    }

    /// Why a verdicts file cannot be used: every problem, each at its place in the file.
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public var diagnostics: [ScenarioDiagnostic]

        /// `file:line:column: error: message`, one problem a line.
        public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
    }

    /// The keys of the file, and of the entries of each section.
    static let topLevelKeys = ["broker", "device", "fails", "not_applicable", "not_reached"]
    static let entryKeys = [
        "fails": ["statement", "text", "instead", "reference"],
        "not_applicable": ["statement", "text", "reason", "reference"],
        "not_reached": ["statement", "text", "reason", "reference"],
    ]

    /// The broker and version the file describes.
    public var broker: String
    /// Device settings every device of the run takes (`conform --device`), for example a
    /// user name and password a broker requires.
    public var device: [String: String]
    public var fails: [Entry]
    public var notApplicable: [Entry]
    public var notReached: [Entry]

    /// Loads and checks a verdicts file with the scenario loader's YAML reading: only known
    /// keys (a misspelt one with a did-you-mean), device settings a device takes, every
    /// statement id one of `standard`'s, each failure quoting the statement's text exactly and
    /// saying what the broker does instead, no statement twice. Every problem is reported at
    /// once with its `file:line:column`.
    public static func load(path: String, standard: NormativeStatements = .mqtt311) throws(LoadError) -> ExpectedVerdicts {
        let start = SourceLocation(file: path, line: 1, column: 1)
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw LoadError(diagnostics: [ScenarioDiagnostic(location: start, message: "cannot read the verdicts file: \(ScenarioLoader.describe(error))")])
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text) else {
                throw LoadError(diagnostics: [ScenarioDiagnostic(location: start, message: "the verdicts file is empty; it needs at least 'broker' (and 'fails', 'not_applicable' or 'not_reached' lists)")])
            }
            guard !YAMLSize.exceeds(node) else { throw LoadError(diagnostics: [YAMLSize.diagnostic(path: path)]) }
            root = node
        } catch let error as LoadError {
            throw error
        } catch let error as YamlError {
            throw LoadError(diagnostics: [YAMLSyntax.diagnostic(error, path: path)])
        } catch {
            throw LoadError(diagnostics: [ScenarioDiagnostic(location: start, message: "YAML syntax error: \(error)")])
        }
        var reader = YAMLReader(file: path)
        guard let top = reader.mapping(root, "the verdicts file", allowed: topLevelKeys) else {
            throw LoadError(diagnostics: reader.diagnostics)
        }
        var broker = ""
        if let node = top["broker"] {
            broker = reader.literal(node, "broker") ?? ""
            if reader.isNull(node) || broker.isEmpty { reader.error("broker must name the broker and its version", at: node) }
        } else {
            reader.missing("broker", in: top, "the verdicts file")
        }
        let device = top["device"].map { readDevice($0, reader: &reader) } ?? [:]
        var seen: Set<String> = []
        var sections: [String: [Entry]] = [:]
        for section in ["fails", "not_applicable", "not_reached"] {
            guard let node = top[section], !reader.isNull(node) else { continue }
            sections[section] = readEntries(node, section: section, standard: standard, seen: &seen, reader: &reader)
        }
        guard reader.diagnostics.isEmpty else {
            throw LoadError(diagnostics: reader.diagnostics.sorted { $0.location < $1.location })
        }
        return ExpectedVerdicts(
            broker: broker,
            device: device,
            fails: sections["fails"] ?? [],
            notApplicable: sections["not_applicable"] ?? [],
            notReached: sections["not_reached"] ?? []
        )
    }

    /// `device: { username: harness }`: settings a device takes (the keys and values of
    /// `--device`), each tried on a device so that a bad one is reported here, at its place.
    private static func readDevice(_ node: Node, reader: inout YAMLReader) -> [String: String] {
        let allowed = Vocabulary.device.names.filter { $0 != "id" && !DeviceParser.structuredKeys.contains($0) }
        guard let entries = reader.mapping(node, "device", allowed: allowed) else { return [:] }
        var settings: [String: String] = [:]
        for item in entries.items {
            guard let value = reader.literal(item.value, "device \(item.key)") else { continue }
            let probe = "name: verdicts-device\nhub: \"mqtt://127.0.0.1:1883\"\ndevice: { id: probe, kind: client }\nsteps:\n  - connect: {}\n"
            do throws(ScenarioLoadError) {
                _ = try ScenarioLoader.load(yaml: probe, path: reader.file, options: LoadOptions(deviceOverrides: [(key: item.key, value: value)]))
                settings[item.key] = value
            } catch {
                for diagnostic in error.diagnostics { reader.error(diagnostic.message, at: item.value) }
            }
        }
        return settings
    }

    private static func readEntries(_ node: Node, section: String, standard: NormativeStatements, seen: inout Set<String>, reader: inout YAMLReader) -> [Entry] {
        guard let sequence = node.sequence else {
            reader.error("\(section) must be a list of statements, each { statement: MQTT-..., ... }, not \(reader.describe(node))", at: node)
            return []
        }
        var entries: [Entry] = []
        for item in sequence {
            guard let fields = reader.mapping(item, "a '\(section)' entry", allowed: entryKeys[section] ?? []) else { continue }
            var values: [String: String] = [:]
            for field in fields.items {
                if let value = reader.literal(field.value, field.key) { values[field.key] = value }
            }
            guard let statementNode = fields["statement"], let id = values["statement"], !id.isEmpty else {
                reader.missing("statement", in: fields, "a '\(section)' entry")
                continue
            }
            if let problem = standard.problem(with: id) {
                reader.error(problem, at: statementNode)
            } else if !seen.insert(id).inserted {
                reader.error("\(id) is listed twice; a statement has one verdict", at: statementNode)
            }
            // A failure quotes the statement; elsewhere a quote is optional, but never wrong.
            if let statement = standard[id], values["text"] != statement.text, section == "fails" || values["text"] != nil {
                reader.error("\(id): 'text' must be the standard's text of the statement: \"\(statement.text)\"", at: fields["text"] ?? item)
            }
            if section == "fails" {
                if (values["instead"] ?? "").isEmpty { reader.error("\(id) needs 'instead': what the broker does instead", at: fields["instead"] ?? item) }
            } else if (values["reason"] ?? "").isEmpty {
                reader.error("\(id) needs a 'reason'", at: fields["reason"] ?? item)
            }
            entries.append(Entry(statement: id, text: values["text"], instead: values["instead"], reference: values["reference"], reason: values["reason"]))
        }
        return entries
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
}
