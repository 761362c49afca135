import IoTHubCore

extension JSONSchema {
    /// The draft-07 keywords this type writes, and so the ones ``SchemaValidator`` must know.
    static let keywords: Set<String> = [
        "description", "$ref", "type", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum", "items",
        "minItems", "uniqueItems", "required", "properties", "patternProperties", "additionalProperties", "propertyNames",
        "maxProperties", "dependencies", "anyOf", "oneOf", "allOf", "if", "then", "else", "examples", "definitions",
    ]

    /// The schema as JSON.
    var jsonValue: JSONValue {
        if isNever { return .bool(false) }
        var members: [String: JSONValue] = [:]
        members["description"] = description.map(JSONValue.string)
        members["$ref"] = reference.map { .string("#/definitions/\($0)") }
        if types.count == 1, let type = types.first {
            members["type"] = .string(type.rawValue)
        } else if !types.isEmpty {
            members["type"] = .array(types.map { .string($0.rawValue) })
        }
        if !enumeration.isEmpty { members["enum"] = .array(enumeration.map(\.jsonValue)) }
        members["pattern"] = pattern.map(JSONValue.string)
        members["minLength"] = minLength.map(Self.number)
        members["maxLength"] = maxLength.map(Self.number)
        members["minimum"] = minimum.map(Self.number)
        members["maximum"] = maximum.map(Self.number)
        members["items"] = items?.jsonValue
        members["minItems"] = minItems.map(Self.number)
        if uniqueItems { members["uniqueItems"] = .bool(true) }
        if !required.isEmpty { members["required"] = .array(required.map(JSONValue.string)) }
        if !properties.isEmpty { members["properties"] = Self.object(properties) }
        if !patternProperties.isEmpty { members["patternProperties"] = Self.object(patternProperties) }
        if forbidsOtherProperties {
            members["additionalProperties"] = .bool(false)
        } else if let otherProperties {
            members["additionalProperties"] = otherProperties.jsonValue
        }
        if !propertyNames.isEmpty { members["propertyNames"] = .object(["enum": .array(propertyNames.map(JSONValue.string))]) }
        members["maxProperties"] = maxProperties.map(Self.number)
        if !dependencies.isEmpty {
            members["dependencies"] = .object(Dictionary(dependencies.map { ($0.key, $0.requirement.jsonValue) }, uniquingKeysWith: { first, _ in first }))
        }
        if !anyOf.isEmpty { members["anyOf"] = .array(anyOf.map(\.jsonValue)) }
        if !oneOf.isEmpty { members["oneOf"] = .array(oneOf.map(\.jsonValue)) }
        if !allOf.isEmpty { members["allOf"] = .array(allOf.map(\.jsonValue)) }
        members["if"] = condition?.jsonValue
        members["then"] = then?.jsonValue
        members["else"] = otherwise?.jsonValue
        if !examples.isEmpty { members["examples"] = .array(examples.map(JSONValue.string)) }
        if !definitions.isEmpty { members["definitions"] = Self.object(definitions) }
        return .object(members)
    }

    private static func number(_ value: Int) -> JSONValue {
        .integer(Int64(value))
    }

    private static func object(_ members: [Member]) -> JSONValue {
        .object(Dictionary(members.map { ($0.name, $0.schema.jsonValue) }, uniquingKeysWith: { first, _ in first }))
    }
}

extension JSONSchema.Literal {
    var jsonValue: JSONValue {
        switch self {
        case .string(let text): .string(text)
        case .integer(let number): .integer(Int64(number))
        }
    }
}

extension JSONSchema.Dependency.Requirement {
    var jsonValue: JSONValue {
        switch self {
        case .keys(let keys): .array(keys.map(JSONValue.string))
        case .schema(let schema): schema.jsonValue
        }
    }
}
