import Foundation
import Yams

/// Checks a scenario's YAML tree against the scenario JSON Schema (the draft-07 subset the
/// schema uses: type, properties, required, additionalProperties, propertyNames, enum,
/// pattern, minLength/maxLength, minimum/maximum, items, minItems, maxProperties, anyOf,
/// oneOf, allOf, $ref). Errors carry the YAML position of the offending node.
public struct SchemaValidator: Sendable {
    private let root: JSONValue

    /// The schema shipped with harness (`Sources/Scenario/Resources/scenario.schema.json`).
    public static func bundled() throws -> SchemaValidator {
        guard let url = Bundle.module.url(forResource: "scenario.schema", withExtension: "json") else {
            throw SchemaError(message: "scenario.schema.json is missing from the harness resources")
        }
        return try SchemaValidator(data: Data(contentsOf: url))
    }

    /// The path of the bundled schema file, for editors and messages.
    public static var bundledPath: String? {
        Bundle.module.url(forResource: "scenario.schema", withExtension: "json")?.path
    }

    init(data: Data) throws {
        self.root = try JSONValue(parsing: data)
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
        var errors: [(Node, String)] = []
        check(node, against: root, at: "", errors: &errors)
        return errors.map { node, message in
            ScenarioDiagnostic(location: SourceLocation(file: path, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1), message: "schema: \(message)")
        }
    }

    // MARK: Checking

    private func resolve(_ schema: JSONValue) -> JSONValue {
        guard let reference = schema["$ref"]?.string, reference.hasPrefix("#/") else { return schema }
        var current = root
        for part in reference.dropFirst(2).split(separator: "/") {
            guard let next = current[String(part)] else { return schema }
            current = next
        }
        return current
    }

    private func check(_ node: Node, against rawSchema: JSONValue, at path: String, errors: inout [(Node, String)]) {
        let schema = resolve(rawSchema)
        let here = path.isEmpty ? "the scenario" : path
        if let types = schema["type"] {
            let allowed = types.array?.compactMap(\.string) ?? types.string.map { [$0] } ?? []
            if !allowed.contains(where: { Self.has(node, type: $0) }) {
                errors.append((node, "\(here) must be \(allowed.joined(separator: " or "))"))
                return
            }
        }
        if let values = schema["enum"]?.array, !values.contains(where: { Self.equals(node, $0) }) {
            let shown = values.compactMap { $0.string ?? $0.number.map { String(Int($0)) } }.prefix(12).joined(separator: ", ")
            errors.append((node, "\(here) must be one of \(shown)"))
        }
        if let scalar = node.scalar {
            let text = scalar.string
            if let pattern = schema["pattern"]?.string, node.tag.rawValue == Tag.Name.str.rawValue || Self.has(node, type: "string"),
                (try? NSRegularExpression(pattern: pattern))?.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil
            {
                errors.append((node, "\(here) '\(text)' does not have the expected form"))
            }
            if let minimum = schema["minLength"]?.number, Double(text.count) < minimum { errors.append((node, "\(here) is too short")) }
            if let maximum = schema["maxLength"]?.number, Double(text.count) > maximum { errors.append((node, "\(here) is too long")) }
            if let value = Double(text), Self.has(node, type: "number") {
                if let minimum = schema["minimum"]?.number, value < minimum { errors.append((node, "\(here) must be at least \(Int(minimum))")) }
                if let maximum = schema["maximum"]?.number, value > maximum { errors.append((node, "\(here) must be at most \(Int(maximum))")) }
            }
        }
        if let mapping = node.mapping {
            let properties = schema["properties"]?.object ?? [:]
            let keys = mapping.keys.compactMap(\.scalar?.string)
            for required in schema["required"]?.array?.compactMap(\.string) ?? [] where !keys.contains(required) {
                errors.append((node, "\(here) is missing '\(required)'"))
            }
            if let maximum = schema["maxProperties"]?.number, Double(keys.count) > maximum {
                errors.append((node, "\(here) takes no keys"))
            }
            for (keyNode, value) in mapping {
                guard let key = keyNode.scalar?.string else { continue }
                if let names = schema["propertyNames"], let allowed = resolve(names)["enum"]?.array?.compactMap(\.string), !allowed.contains(key) {
                    errors.append((keyNode, "'\(key)' is not allowed in \(here)"))
                    continue
                }
                let child = path.isEmpty ? key : "\(path).\(key)"
                if let propertySchema = properties[key] {
                    check(value, against: propertySchema, at: child, errors: &errors)
                } else if let additional = schema["additionalProperties"] {
                    if additional.bool == false {
                        errors.append((keyNode, "unknown key '\(key)' in \(here)"))
                    } else if additional.object != nil {
                        check(value, against: additional, at: child, errors: &errors)
                    }
                }
            }
        }
        if let sequence = node.sequence {
            if let minimum = schema["minItems"]?.number, Double(sequence.count) < minimum { errors.append((node, "\(here) needs at least \(Int(minimum)) item(s)")) }
            if let items = schema["items"] {
                for (index, item) in sequence.enumerated() { check(item, against: items, at: "\(here)[\(index + 1)]", errors: &errors) }
            }
        }
        for part in schema["allOf"]?.array ?? [] { check(node, against: part, at: path, errors: &errors) }
        if let options = schema["anyOf"]?.array {
            let results = options.map { option -> [(Node, String)] in
                var local: [(Node, String)] = []
                check(node, against: option, at: path, errors: &local)
                return local
            }
            if !results.contains(where: \.isEmpty) {
                errors += results.min { $0.count < $1.count } ?? []
            }
        }
        if let options = schema["oneOf"]?.array {
            let results = options.map { option -> [(Node, String)] in
                var local: [(Node, String)] = []
                check(node, against: option, at: path, errors: &local)
                return local
            }
            let passing = results.filter(\.isEmpty).count
            if passing == 0 {
                errors += results.min { $0.count < $1.count } ?? [(node, "\(here) matches none of its allowed forms")]
            } else if passing > 1 {
                errors.append((node, "\(here) matches several forms at once; it is ambiguous"))
            }
        }
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
        case .number(let number): has(node, type: "number") && node.scalar.flatMap { Double($0.string) } == number
        case .bool(let bool): has(node, type: "boolean") && node.bool == bool
        case .null: has(node, type: "null")
        default: false
        }
    }
}

/// The schema itself could not be read.
public struct SchemaError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
