import Yams

/// Reads a composed YAML tree into typed values, collecting every problem with its position
/// instead of stopping at the first one.
struct YAMLReader {
    let file: String
    var variables: Variables
    private(set) var diagnostics: [ScenarioDiagnostic] = []
    /// Values of secret variables used in the file.
    private(set) var secretValues: [String] = []

    init(file: String, variables: Variables = Variables()) {
        self.file = file
        self.variables = variables
    }

    /// The entries of a mapping, in order.
    struct Entries {
        var items: [(key: String, keyNode: Node, value: Node)]
        var node: Node

        subscript(key: String) -> Node? { items.first { $0.key == key }?.value }
        var keys: [String] { items.map(\.key) }
    }

    func location(of node: Node?) -> SourceLocation {
        let mark = node?.mark
        return SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    mutating func error(_ message: String, at node: Node?) {
        diagnostics.append(ScenarioDiagnostic(location: location(of: node), message: message))
    }

    mutating func error(_ message: String, at location: SourceLocation) {
        diagnostics.append(ScenarioDiagnostic(location: location, message: message))
    }

    /// Reads `node` as a mapping whose keys must come from `allowed`; reports other keys (with
    /// a suggestion) and duplicates. With `allowingExtensions`, keys starting with `x-` are
    /// skipped (a place for YAML anchors, as in docker-compose files).
    mutating func mapping(_ node: Node, _ what: String, allowed: [String], allowingExtensions: Bool = false) -> Entries? {
        guard let mapping = node.mapping else {
            error("\(what) must be a mapping of keys to values, not \(describe(node))", at: node)
            return nil
        }
        var entries = Entries(items: [], node: node)
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else {
                error("\(what) has a key that is not a plain name", at: keyNode)
                continue
            }
            if entries.items.contains(where: { $0.key == key }) {
                error("\(what) has key '\(key)' twice", at: keyNode)
                continue
            }
            if allowingExtensions, key.hasPrefix("x-") { continue }
            guard allowed.contains(key) else {
                error("unknown key '\(key)' in \(what)\(Suggestions.hint(for: key, in: allowed)); allowed: \(allowed.joined(separator: ", "))", at: keyNode)
                continue
            }
            entries.items.append((key, keyNode, value))
        }
        return entries
    }

    /// Reads `node` as a mapping with keys of the vocabulary's `keys`.
    mutating func mapping(_ node: Node, _ what: String, keys: VocabularyMapping, allowingExtensions: Bool = false) -> Entries? {
        mapping(node, what, allowed: keys.names, allowingExtensions: allowingExtensions)
    }

    /// Reads a scalar as text, with `${VAR}` references substituted. Quoted and plain
    /// scalars are both text: `on` is the string "on", not YAML 1.1's boolean.
    mutating func string(_ node: Node, _ what: String) -> String? {
        guard let scalar = node.scalar else {
            error("\(what) must be a single value, not \(describe(node))", at: node)
            return nil
        }
        do {
            let substitution = try variables.substitute(in: scalar.string)
            for secret in substitution.secrets where !secretValues.contains(secret) { secretValues.append(secret) }
            return substitution.text
        } catch {
            self.error("\(what): \(error.message)", at: node)
            return nil
        }
    }

    /// Reads a scalar as text without substituting variables (for names and keys).
    mutating func literal(_ node: Node, _ what: String) -> String? {
        guard let scalar = node.scalar else {
            error("\(what) must be a single value, not \(describe(node))", at: node)
            return nil
        }
        return scalar.string
    }

    /// Records a value that reports must mask (device keys, tokens).
    mutating func markSecret(_ value: String) {
        if !secretValues.contains(value) { secretValues.append(value) }
    }

    /// Reads a non-empty string.
    mutating func nonEmptyString(_ node: Node, _ what: String) -> String? {
        guard let text = string(node, what) else { return nil }
        guard !text.isEmpty else {
            error("\(what) must not be empty", at: node)
            return nil
        }
        return text
    }

    mutating func bool(_ node: Node, _ what: String) -> Bool? {
        guard let text = string(node, what) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default:
            error("\(what) must be true or false, not '\(text)'", at: node)
            return nil
        }
    }

    mutating func integer<T: FixedWidthInteger>(_ node: Node, _ what: String, in range: ClosedRange<T>) -> T? {
        guard let text = string(node, what) else { return nil }
        guard let value = T(text), range.contains(value) else {
            error("\(what) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(text)'", at: node)
            return nil
        }
        return value
    }

    mutating func duration(_ node: Node, _ what: String) -> Duration? {
        guard let text = string(node, what) else { return nil }
        switch ScenarioDuration.parse(text) {
        case .success(let duration):
            return duration
        case .failure(let failure):
            error("\(what): \(failure)", at: node)
            return nil
        }
    }

    /// Reports a missing required key at the mapping.
    mutating func missing(_ key: String, in entries: Entries, _ what: String) {
        error("\(what) is missing required key '\(key)'", at: entries.node)
    }

    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar): "the value '\(scalar.string)'"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    func isNull(_ node: Node) -> Bool {
        guard let scalar = node.scalar else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }
}
