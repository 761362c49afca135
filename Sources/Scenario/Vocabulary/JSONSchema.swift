import IoTHubCore

/// A JSON Schema (draft-07) as a Swift value, limited to the keywords the scenario vocabulary
/// uses. ``ScenarioSchema`` builds the scenario schema with it; its ``jsonValue`` is both the
/// file editors read and what ``SchemaValidator`` checks files against.
struct JSONSchema: Sendable {
    /// A JSON type name.
    enum JSONType: String, Sendable {
        case string, integer, number, boolean, object, array, null
    }

    /// A value of an `enum`.
    enum Literal: Sendable, Hashable {
        case string(String)
        case integer(Int)
    }

    /// A named schema: a property, a pattern property or a definition.
    struct Member: Sendable {
        var name: String
        var schema: JSONSchema
    }

    /// What a key needs beside it (`dependencies`).
    struct Dependency: Sendable {
        enum Requirement: Sendable {
            /// These keys.
            case keys([String])
            /// That the whole mapping matches this schema.
            case schema(JSONSchema)
        }

        var key: String
        var requirement: Requirement
    }

    /// The schemas one schema holds (kept apart so that the type can hold itself).
    private enum Part: Sendable, Hashable {
        case items, additionalProperties, condition, then, otherwise
    }

    /// The schema nothing matches (`false`): a key a form of a mapping does not take.
    var isNever = false
    var description: String?
    /// The name of a definition this schema stands for (`$ref: #/definitions/<name>`).
    var reference: String?
    var types: [JSONType] = []
    var enumeration: [Literal] = []
    var pattern: String?
    var minLength: Int?
    var maxLength: Int?
    var minimum: Int?
    var maximum: Int?
    var minItems: Int?
    var uniqueItems = false
    var required: [String] = []
    var properties: [Member] = []
    var patternProperties: [Member] = []
    /// Whether keys other than ``properties`` and ``patternProperties`` are refused
    /// (`additionalProperties: false`).
    var forbidsOtherProperties = false
    /// The keys a mapping may have (`propertyNames: { enum: [...] }`); empty: any.
    var propertyNames: [String] = []
    var maxProperties: Int?
    var dependencies: [Dependency] = []
    var anyOf: [JSONSchema] = []
    var oneOf: [JSONSchema] = []
    var allOf: [JSONSchema] = []
    var examples: [String] = []
    /// Named schemas that `$ref` points at (the root's).
    var definitions: [Member] = []
    private var parts: [Part: JSONSchema] = [:]

    /// Every list item.
    var items: JSONSchema? {
        get { parts[.items] }
        set { parts[.items] = newValue }
    }

    /// The schema of keys not in ``properties`` (`additionalProperties: { ... }`).
    var otherProperties: JSONSchema? {
        get { parts[.additionalProperties] }
        set { parts[.additionalProperties] = newValue }
    }

    /// `if`: when the value matches it, ``then`` applies, else ``otherwise``.
    var condition: JSONSchema? {
        get { parts[.condition] }
        set { parts[.condition] = newValue }
    }

    var then: JSONSchema? {
        get { parts[.then] }
        set { parts[.then] = newValue }
    }

    /// `else`.
    var otherwise: JSONSchema? {
        get { parts[.otherwise] }
        set { parts[.otherwise] = newValue }
    }

    init() {}

    /// The same schema with a description for editors.
    func described(_ text: String?) -> JSONSchema {
        var copy = self
        copy.description = text
        return copy
    }

    // MARK: Building

    static let never: JSONSchema = {
        var schema = JSONSchema()
        schema.isNever = true
        return schema
    }()

    static func type(_ types: JSONType...) -> JSONSchema {
        var schema = JSONSchema()
        schema.types = types
        return schema
    }

    /// A string, optionally non-empty or of a form.
    static func string(minLength: Int? = nil, maxLength: Int? = nil, pattern: String? = nil, examples: [String] = []) -> JSONSchema {
        var schema = type(.string)
        schema.minLength = minLength
        schema.maxLength = maxLength
        schema.pattern = pattern
        schema.examples = examples
        return schema
    }

    /// One of these strings.
    static func oneOf(_ values: [String]) -> JSONSchema {
        var schema = type(.string)
        schema.enumeration = values.map(Literal.string)
        return schema
    }

    /// One of these whole numbers.
    static func oneOf(_ values: [Int]) -> JSONSchema {
        var schema = type(.integer)
        schema.enumeration = values.map(Literal.integer)
        return schema
    }

    /// A whole number, with bounds where given.
    static func integer(minimum: Int? = nil, maximum: Int? = nil) -> JSONSchema {
        var schema = type(.integer)
        schema.minimum = minimum
        schema.maximum = maximum
        return schema
    }

    /// The definition named `name`.
    static func reference(_ name: String) -> JSONSchema {
        var schema = JSONSchema()
        schema.reference = name
        return schema
    }

    static func allOf(_ schemas: [JSONSchema]) -> JSONSchema {
        var schema = JSONSchema()
        schema.allOf = schemas
        return schema
    }

    static func anyOf(_ schemas: [JSONSchema]) -> JSONSchema {
        var schema = JSONSchema()
        schema.anyOf = schemas
        return schema
    }

    /// A list of `items`.
    static func list(of items: JSONSchema, minItems: Int? = nil) -> JSONSchema {
        var schema = type(.array)
        schema.items = items
        schema.minItems = minItems
        return schema
    }

    /// A mapping of any keys to values of `values` (`env`, message properties).
    static func map(of values: JSONSchema) -> JSONSchema {
        var schema = type(.object)
        schema.otherProperties = values
        return schema
    }

    /// A mapping with these keys and no others.
    static func object(_ properties: [Member], required: [String] = []) -> JSONSchema {
        var schema = type(.object)
        schema.properties = properties
        schema.required = required
        schema.forbidsOtherProperties = true
        return schema
    }

    /// A mapping that must have `keys` (a branch of `anyOf` or `oneOf`).
    static func requiring(_ keys: String...) -> JSONSchema {
        requiring(keys)
    }

    static func requiring(_ keys: [String]) -> JSONSchema {
        var schema = JSONSchema()
        schema.required = keys
        return schema
    }
}
