import Foundation
import IoTHubCore
import Yams

/// Checks a scenario's YAML tree against a JSON Schema: the draft-07 subset ``JSONSchema``
/// writes (type, properties, required, additionalProperties, patternProperties,
/// propertyNames, dependencies, enum, pattern, minLength/maxLength, minimum/maximum, items,
/// minItems, maxProperties, anyOf, oneOf, allOf, if/then/else, $ref and `false`). Errors carry
/// the YAML position of the offending node.
public struct SchemaValidator: Sendable {
    private let root: JSONValue

    /// The keywords this validator reads, and those it passes over because they only help
    /// editors (`examples`, `uniqueItems`, ...).
    static let keywords: Set<String> = [
        "type", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum", "items", "minItems", "required",
        "properties", "patternProperties", "additionalProperties", "propertyNames", "dependencies", "maxProperties",
        "anyOf", "oneOf", "allOf", "if", "then", "else", "$ref",
    ]
    static let annotations: Set<String> = ["$schema", "$id", "title", "description", "examples", "definitions", "uniqueItems"]

    /// The scenario schema, made from the scenario vocabulary (``ScenarioSchema``): the one
    /// `harness schema` writes for editors.
    public static let scenario = SchemaValidator(root: ScenarioSchema.document)

    init(root: JSONValue) {
        self.root = root
    }

    /// Every schema violation in `yaml`, or a syntax diagnostic.
    public func validate(yaml: String, path: String) -> [ScenarioDiagnostic] {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            return [YAMLSyntax.diagnostic(error, path: path)]
        } catch {
            return [ScenarioDiagnostic(location: SourceLocation(file: path, line: 1, column: 1), message: "YAML syntax error: \(error)")]
        }
        guard let node else { return [] }
        guard !YAMLSize.exceeds(node) else { return [YAMLSize.diagnostic(path: path)] }
        var errors: [Violation] = []
        check(node, against: root, at: "", errors: &errors)
        return errors.map { violation in
            let mark = violation.node.mark
            return ScenarioDiagnostic(location: SourceLocation(file: path, line: mark?.line ?? 1, column: mark?.column ?? 1), message: "schema: \(violation.message)")
        }
    }

    /// One schema violation at a node.
    struct Violation {
        var node: Node
        var message: String
        /// The node is of the wrong JSON type for this branch (so another branch was meant).
        var isTypeMismatch = false
    }

    // MARK: Checking

    private func resolve(_ schema: JSONValue) -> JSONValue {
        guard let reference = schema["$ref"]?.stringValue, reference.hasPrefix("#/") else { return schema }
        var current = root
        for part in reference.dropFirst(2).split(separator: "/") {
            guard let next = current[String(part)] else { return schema }
            current = next
        }
        return current
    }

    private func check(_ node: Node, against rawSchema: JSONValue, at path: String, errors: inout [Violation]) {
        let schema = resolve(rawSchema)
        let here = path.isEmpty ? "the scenario" : path
        if let allowed = schema.boolValue {
            if !allowed { errors.append(Violation(node: node, message: "\(here) is not allowed")) }
            return
        }
        let hint = (schema["description"]?.stringValue ?? rawSchema["description"]?.stringValue).map { " (\($0))" } ?? ""
        if let types = schema["type"] {
            let allowed = types.arrayValue?.compactMap(\.stringValue) ?? types.stringValue.map { [$0] } ?? []
            if !allowed.contains(where: { Self.has(node, type: $0) }) {
                errors.append(Violation(node: node, message: "\(here) must be \(allowed.joined(separator: " or "))\(hint)", isTypeMismatch: true))
                return
            }
        }
        if let values = schema["enum"]?.arrayValue, !values.contains(where: { Self.equals(node, $0) }) {
            let shown = values.compactMap { $0.stringValue ?? $0.numberValue.map { String(Int($0)) } }.prefix(12).joined(separator: ", ")
            errors.append(Violation(node: node, message: "\(here) must be one of \(shown)"))
        }
        if let scalar = node.scalar { checkScalar(scalar.string, node, schema, here: here, hint: hint, errors: &errors) }
        if let mapping = node.mapping { checkMapping(mapping, node, schema, path: path, hint: hint, errors: &errors) }
        if let sequence = node.sequence {
            if let minimum = schema["minItems"]?.numberValue, Double(sequence.count) < minimum { errors.append(Violation(node: node, message: "\(here) needs at least \(Int(minimum)) item(s)")) }
            if let items = schema["items"] {
                for (index, item) in sequence.enumerated() { check(item, against: items, at: "\(here)[\(index + 1)]", errors: &errors) }
            }
        }
        for part in schema["allOf"]?.arrayValue ?? [] { check(node, against: part, at: path, errors: &errors) }
        if let condition = schema["if"] {
            var local: [Violation] = []
            check(node, against: condition, at: path, errors: &local)
            if let branch = local.isEmpty ? schema["then"] : schema["else"] { check(node, against: branch, at: path, errors: &errors) }
        }
        if let options = schema["anyOf"]?.arrayValue {
            let results = options.map { option -> [Violation] in
                var local: [Violation] = []
                check(node, against: option, at: path, errors: &local)
                return local
            }
            if !results.contains(where: \.isEmpty) {
                errors += Self.requiredKeys(of: options).map { [Violation(node: node, message: "\(here) needs one of \(Self.quoted($0))")] }
                    ?? Self.closest(results, node: node, here: here, hint: hint)
            }
        }
        if let options = schema["oneOf"]?.arrayValue {
            let results = options.map { option -> [Violation] in
                var local: [Violation] = []
                check(node, against: option, at: path, errors: &local)
                return local
            }
            let passing = results.filter(\.isEmpty).count
            let keys = Self.requiredKeys(of: options)
            if passing == 0 {
                errors += keys.map { [Violation(node: node, message: "\(here) needs one of \(Self.quoted($0))")] }
                    ?? Self.closest(results, node: node, here: here, hint: hint)
            } else if passing > 1 {
                let message = keys.map { "\(here) may have only one of \(Self.quoted($0))" } ?? "\(here) matches several forms at once; it is ambiguous"
                errors.append(Violation(node: node, message: message))
            }
        }
    }

    private func checkScalar(_ text: String, _ node: Node, _ schema: JSONValue, here: String, hint: String, errors: inout [Violation]) {
        if let pattern = schema["pattern"]?.stringValue, node.tag.rawValue == Tag.Name.str.rawValue || Self.has(node, type: "string"),
            (try? NSRegularExpression(pattern: pattern))?.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil
        {
            errors.append(Violation(node: node, message: "\(here) '\(text)' does not have the expected form\(hint)"))
        }
        if let minimum = schema["minLength"]?.numberValue, Double(text.count) < minimum { errors.append(Violation(node: node, message: "\(here) is too short")) }
        if let maximum = schema["maxLength"]?.numberValue, Double(text.count) > maximum { errors.append(Violation(node: node, message: "\(here) is too long")) }
        if let value = Double(text), Self.has(node, type: "number") {
            if let minimum = schema["minimum"]?.numberValue, value < minimum { errors.append(Violation(node: node, message: "\(here) must be at least \(Int(minimum))")) }
            if let maximum = schema["maximum"]?.numberValue, value > maximum { errors.append(Violation(node: node, message: "\(here) must be at most \(Int(maximum))")) }
        }
    }

    private func checkMapping(_ mapping: Node.Mapping, _ node: Node, _ schema: JSONValue, path: String, hint: String, errors: inout [Violation]) {
        let here = path.isEmpty ? "the scenario" : path
        let properties = schema["properties"]?.objectValue ?? [:]
        let keys = Array(mapping.keys.compactMap(\.scalar?.string))
        for required in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where !keys.contains(required) {
            errors.append(Violation(node: node, message: "\(here) is missing '\(required)'"))
        }
        if let maximum = schema["maxProperties"]?.numberValue, Double(keys.count) > maximum {
            errors.append(Violation(node: node, message: "\(here) takes no keys"))
        }
        for (keyNode, value) in mapping {
            guard let key = keyNode.scalar?.string else { continue }
            if let names = schema["propertyNames"], let allowed = resolve(names)["enum"]?.arrayValue?.compactMap(\.stringValue), !allowed.contains(key) {
                errors.append(Violation(node: keyNode, message: "'\(key)' is not allowed in \(here)\(hint)"))
                continue
            }
            if let requirement = schema["dependencies"]?[key] {
                checkDependency(of: key, requirement, keyNode: keyNode, node: node, keys: keys, path: path, errors: &errors)
            }
            let child = path.isEmpty ? key : "\(path).\(key)"
            let patterned = (schema["patternProperties"]?.objectValue ?? [:]).first { pattern, _ in
                (try? NSRegularExpression(pattern: pattern))?.firstMatch(in: key, range: NSRange(key.startIndex..., in: key)) != nil
            }
            if let propertySchema = properties[key] {
                if propertySchema.boolValue == false {
                    errors.append(Violation(node: keyNode, message: "'\(key)' is not allowed in \(here)\(hint)"))
                } else {
                    check(value, against: propertySchema, at: child, errors: &errors)
                }
            } else if let (_, patternSchema) = patterned {
                check(value, against: patternSchema, at: child, errors: &errors)
            } else if let additional = schema["additionalProperties"] {
                if additional.boolValue == false {
                    errors.append(Violation(node: keyNode, message: "unknown key '\(key)' in \(here)"))
                } else if additional.objectValue != nil {
                    check(value, against: additional, at: child, errors: &errors)
                }
            }
        }
    }

    /// `dependencies`: a key that needs other keys beside it, or the mapping to match a schema.
    private func checkDependency(of key: String, _ requirement: JSONValue, keyNode: Node, node: Node, keys: [String], path: String, errors: inout [Violation]) {
        let here = path.isEmpty ? "the scenario" : path
        if let needed = requirement.arrayValue?.compactMap(\.stringValue) {
            for other in needed where !keys.contains(other) {
                errors.append(Violation(node: keyNode, message: "'\(key)' in \(here) goes with '\(other)', which is missing"))
            }
            return
        }
        var local: [Violation] = []
        check(node, against: requirement, at: path, errors: &local)
        if !local.isEmpty {
            let hint = resolve(requirement)["description"]?.stringValue.map { " (\($0))" } ?? ""
            errors.append(Violation(node: keyNode, message: "'\(key)' does not fit the other keys of \(here)\(hint)"))
        }
    }

    /// The keys of alternatives that each only require keys (`oneOf: [{required: [a]}, ...]`).
    private static func requiredKeys(of options: [JSONValue]) -> [String]? {
        var keys: [String] = []
        for option in options {
            guard let members = option.objectValue, members.keys.allSatisfy({ $0 == "required" || $0 == "description" }),
                let required = members["required"]?.arrayValue?.compactMap(\.stringValue), required.count == 1
            else { return nil }
            keys += required
        }
        return keys.isEmpty ? nil : keys
    }

    private static func quoted(_ keys: [String]) -> String {
        keys.map { "'\($0)'" }.joined(separator: ", ")
    }

    /// The errors of the alternative the author most likely meant: one whose type fits the
    /// node, with the fewest errors.
    static func closest(_ results: [[Violation]], node: Node, here: String, hint: String) -> [Violation] {
        let fitting = results.filter { errors in !errors.contains { $0.isTypeMismatch && $0.node == node } }
        if let best = fitting.min(by: { $0.count < $1.count }) { return best }
        let types = results.flatMap { $0 }.filter { $0.isTypeMismatch && $0.node == node }.map(\.message)
        if types.count == results.count, !types.isEmpty {
            return [Violation(node: node, message: "\(here) does not have any of its allowed forms\(hint)", isTypeMismatch: true)]
        }
        return results.min { $0.count < $1.count } ?? []
    }

    /// Whether the node, read as YAML resolves it, is of a JSON Schema type.
    static func has(_ node: Node, type: String) -> Bool {
        let tag = Tag.Name(rawValue: node.tag.rawValue)
        switch type {
        case "object": return node.mapping != nil
        case "array": return node.sequence != nil
        case "null": return node.scalar != nil && tag == .null
        case "boolean": return node.scalar != nil && tag == .bool
        case "integer": return node.scalar != nil && tag == .int
        case "number": return node.scalar != nil && (tag == .int || tag == .float)
        case "string": return node.scalar != nil && ![Tag.Name.null, .bool, .int, .float].contains(tag)
        default: return false
        }
    }

    static func equals(_ node: Node, _ value: JSONValue) -> Bool {
        switch value {
        case .string(let string): has(node, type: "string") && node.scalar?.string == string
        case .integer, .number: has(node, type: "number") && node.scalar.flatMap { Double($0.string) } == value.numberValue
        case .bool(let bool): has(node, type: "boolean") && node.bool == bool
        case .null: has(node, type: "null")
        default: false
        }
    }
}
