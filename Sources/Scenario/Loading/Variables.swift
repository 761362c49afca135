import Foundation

/// The values `${NAME}` and `${NAME:-default}` stand for in scenario files: `--set` values
/// first, then the environment. Values of secret variables are collected so every report can
/// mask them.
public struct Variables: Sendable, Hashable {
    /// Values given on the command line (`--set NAME=value`); they win over the environment.
    public var overrides: [String: String]
    /// The process environment.
    public var environment: [String: String]
    /// Names whose values are secret (the file's `secrets:` list and `--secret`).
    public var secretNames: Set<String>

    public init(overrides: [String: String] = [:], environment: [String: String] = [:], secretNames: Set<String> = []) {
        self.overrides = overrides
        self.environment = environment
        self.secretNames = secretNames
    }

    /// The value of `name`, if defined.
    public func value(of name: String) -> String? {
        overrides[name] ?? environment[name]
    }

    /// The result of substituting a text.
    struct Substitution {
        var text: String
        /// Secret values that went into the text.
        var secrets: [String] = []
    }

    /// Replaces `${NAME}` and `${NAME:-default}` in `text`; `$${` stands for a literal `${`.
    /// - Throws: a message for an undefined variable or an unclosed `${`.
    func substitute(in text: String) throws(VariableError) -> Substitution {
        guard text.contains("$") else { return Substitution(text: text) }
        var result = Substitution(text: "")
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            result.text += rest[..<dollar]
            let afterDollar = rest[rest.index(after: dollar)...]
            if afterDollar.hasPrefix("${") {
                result.text += "${"
                rest = afterDollar.dropFirst(2)
                continue
            }
            guard afterDollar.hasPrefix("{") else {
                result.text += "$"
                rest = afterDollar
                continue
            }
            guard let close = afterDollar.firstIndex(of: "}") else {
                throw VariableError(message: "'${' without a closing '}'")
            }
            let body = afterDollar[afterDollar.index(after: afterDollar.startIndex)..<close]
            var name = Substring(body)
            var fallback: Substring?
            if let separator = body.range(of: ":-") {
                name = body[..<separator.lowerBound]
                fallback = body[separator.upperBound...]
            }
            guard Self.isValidName(name) else {
                throw VariableError(message: "'${\(body)}' is not a variable reference; names are letters, digits and '_'")
            }
            if name == Self.stepDevice, fallback == nil, self.value(of: String(name)) == nil {
                // Filled in as each step runs, with the id of the device it acts on.
                result.text += "${\(name)}"
                rest = afterDollar[afterDollar.index(after: close)...]
                continue
            }
            let value: String
            if let defined = self.value(of: String(name)), !(defined.isEmpty && fallback != nil) {
                value = defined
            } else if let fallback {
                value = String(fallback)
            } else {
                throw VariableError(message: "variable '\(name)' is not set; set it in the environment, pass --set \(name)=..., or write ${\(name):-default}")
            }
            if secretNames.contains(String(name)) { result.secrets.append(value) }
            result.text += value
            rest = afterDollar[afterDollar.index(after: close)...]
        }
        result.text += rest
        return result
    }

    /// `${device}`: the id of the device a step acts on, filled in when the step runs (a
    /// fleet step's topic names each member's own), unless a variable of that name is set.
    public static let stepDevice = "device"

    static func isValidName(_ name: Substring) -> Bool {
        guard let first = name.first, first == "_" || first.isLetter else { return false }
        return name.allSatisfy { $0 == "_" || $0.isLetter || $0.isNumber }
    }
}

/// A problem with a variable reference.
public struct VariableError: Error, Sendable, Hashable {
    public var message: String
}
