import Foundation
import MQTTCore

/// The normative statements of a standard, by identifier, with their text: what `statements:`
/// ids in scenarios are checked against and what conformance reports quote. One mechanism
/// serves every standard, each from its committed table (``mqtt311``, ``mqtt5``).
public struct NormativeStatements: Sendable {
    /// One statement: `MQTT-3.8.4-6` and what it requires.
    public struct Statement: Sendable, Hashable {
        public var id: String
        public var text: String
    }

    /// The statements in the standard's order.
    public let all: [Statement]
    private let byID: [String: Statement]
    /// The prefix every id of this standard starts with (`MQTT-`); ids that do not look like
    /// this standard's (``claims(_:)``) are a pack's own names (`IOTHUB-...`, `PAHO-...`) and
    /// are not checked.
    public let prefix: String
    /// The standard's name as reports say it: `MQTT 3.1.1`, `MQTT 5.0`.
    public let name: String
    /// The committed table the statements come from, relative to the repository root.
    public let source: String

    /// Parses `id<TAB>text` lines; `#` lines are comments.
    init(tsv: String, prefix: String, name: String, source: String) {
        var statements: [Statement] = []
        for line in tsv.split(separator: "\n", omittingEmptySubsequences: true) where !line.hasPrefix("#") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            guard parts.count == 2 else { continue }
            statements.append(Statement(id: String(parts[0]), text: String(parts[1])))
        }
        self.all = statements
        self.byID = Dictionary(statements.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.prefix = prefix
        self.name = name
        self.source = source
    }

    /// The statement with this id, if the standard has it.
    public subscript(id: String) -> Statement? { byID[id] }

    /// Whether `id` is meant as a statement of this standard rather than a pack's own name:
    /// it starts with the prefix (`MQTT-`), or, in any case, with the prefix's letters
    /// followed by separators and a digit (`mqtt-3.1.4-4`, `MQTT_3.2.0-1`, `MQTT.3.1.4-4`,
    /// `MQTT3.1.4-4`), which can only be a misspelt statement id. Pack-own names such as
    /// `IOTHUB-QOS2-PUBLISH-DROPS` do not look like that.
    public func claims(_ id: String) -> Bool {
        if id.hasPrefix(prefix) { return true }
        let letters = prefix.filter(\.isLetter).lowercased()
        guard id.lowercased().hasPrefix(letters) else { return false }
        let rest = id.dropFirst(letters.count).drop { !$0.isLetter && !$0.isNumber }
        return rest.first?.isNumber == true
    }

    /// The problem with `id`, if any: an id that looks like one of this standard's (see
    /// ``claims(_:)``) but is not one, with the real id it most likely means.
    public func problem(with id: String) -> String? {
        guard claims(id), byID[id] == nil else { return nil }
        // The same numbers with other separators and case first (the standard itself spells
        // one id MQTT-3-8.3-4), then the closest spelling.
        let letters = prefix.filter(\.isLetter).lowercased()
        let normalized = { (text: String) -> String in
            let lowered = text.lowercased()
            let rest = lowered.hasPrefix(letters) ? lowered.dropFirst(letters.count) : Substring(lowered)
            return String(rest.map { $0.isLetter || $0.isNumber ? $0 : "." }).trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        let hint = all.first { normalized($0.id) == normalized(id) }.map { " (did you mean '\($0.id)'?)" }
            ?? Suggestions.hint(for: id, in: all.map(\.id))
        return "'\(id)' is not a normative statement of \(name)\(hint); the \(all.count) statement ids are listed in \(source)"
    }

    /// The MQTT 3.1.1 statements (`Sources/Scenario/Resources/mqtt-3.1.1-statements.tsv`).
    public static let mqtt311 = bundled("mqtt-3.1.1-statements", name: "MQTT 3.1.1")

    /// The MQTT 5.0 statements (`Sources/Scenario/Resources/mqtt-5.0-statements.tsv`).
    public static let mqtt5 = bundled("mqtt-5.0-statements", name: "MQTT 5.0")

    /// The statements of the standard a protocol version implements.
    public static func of(_ version: MQTTProtocolVersion) -> NormativeStatements {
        switch version {
        case .v311: mqtt311
        case .v5: mqtt5
        }
    }

    /// The standard whose statements a scenario's `statements:` name: MQTT 5.0 when one of
    /// its devices speaks 5.0 (`protocol: 5`), else MQTT 3.1.1.
    public static func spoken(by devices: [DeviceSpec]) -> NormativeStatements {
        devices.contains { $0.protocolVersion == .v5 } ? mqtt5 : mqtt311
    }

    /// A table of the module's resources; a missing one is an empty standard, which every
    /// test of the tables notices.
    private static func bundled(_ resource: String, name: String) -> NormativeStatements {
        let text = Bundle.module.url(forResource: resource, withExtension: "tsv")
            .flatMap { try? String(contentsOf: $0, encoding: .utf8) } ?? ""
        return NormativeStatements(tsv: text, prefix: "MQTT-", name: name, source: "Sources/Scenario/Resources/\(resource).tsv")
    }
}
