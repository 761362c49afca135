import Foundation

/// The normative statements of a standard, by identifier, with their text: what `statements:`
/// ids in scenarios are checked against and what conformance reports quote.
public struct NormativeStatements: Sendable {
    /// One statement: `MQTT-3.8.4-6` and what it requires.
    public struct Statement: Sendable, Hashable {
        public var id: String
        public var text: String
    }

    /// The statements in the standard's order.
    public let all: [Statement]
    private let byID: [String: Statement]
    /// The prefix every id of this standard starts with (`MQTT-`); ids with another prefix
    /// are a pack's own names (`IOTHUB-...`, `PAHO-...`) and are not checked.
    public let prefix: String

    /// Parses `id<TAB>text` lines; `#` lines are comments.
    init(tsv: String, prefix: String) {
        var statements: [Statement] = []
        for line in tsv.split(separator: "\n", omittingEmptySubsequences: true) where !line.hasPrefix("#") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            guard parts.count == 2 else { continue }
            statements.append(Statement(id: String(parts[0]), text: String(parts[1])))
        }
        self.all = statements
        self.byID = Dictionary(statements.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.prefix = prefix
    }

    /// The statement with this id, if the standard has it.
    public subscript(id: String) -> Statement? { byID[id] }

    /// Whether `id` names a statement of this standard (`MQTT-...`) rather than a pack's own name.
    public func claims(_ id: String) -> Bool { id.hasPrefix(prefix) }

    /// The problem with `id`, if any: an id with this standard's prefix that the standard does
    /// not have, with the closest real id when there is one.
    public func problem(with id: String) -> String? {
        guard claims(id), byID[id] == nil else { return nil }
        // The same numbers with other separators first (the standard itself spells one id
        // MQTT-3-8.3-4), then the closest spelling.
        let normalized = { (text: String) in text.dropFirst(prefix.count).replacingOccurrences(of: "-", with: ".") }
        let hint = all.first { normalized($0.id) == normalized(id) }.map { " (did you mean '\($0.id)'?)" }
            ?? Suggestions.hint(for: id, in: all.map(\.id))
        return "'\(id)' is not a normative statement of MQTT 3.1.1\(hint); the \(all.count) statement ids are listed in Sources/Scenario/Resources/mqtt-3.1.1-statements.tsv"
    }

    /// The MQTT 3.1.1 statements (`Sources/Scenario/Resources/mqtt-3.1.1-statements.tsv`).
    public static let mqtt311: NormativeStatements = {
        let text = Bundle.module.url(forResource: "mqtt-3.1.1-statements", withExtension: "tsv")
            .flatMap { try? String(contentsOf: $0, encoding: .utf8) } ?? ""
        return NormativeStatements(tsv: text, prefix: "MQTT-")
    }()
}
