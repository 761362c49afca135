/// The scenario language's vocabulary, defined once: every mapping's keys, which forms of the
/// mapping take each key (device kinds, hub kinds, the subject a qualifier refines), which
/// are secret, and the values each takes, with descriptions for editors. The loader takes its
/// allowed keys and did-you-mean candidates from here, and ``ScenarioSchema`` makes the JSON
/// Schema from it (`harness schema`).
enum Vocabulary {}

/// One key of a mapping in the scenario language.
struct VocabularyKey: Sendable {
    let name: String
    /// The values it takes, described for editors.
    let value: JSONSchema
    /// The forms of the mapping that take the key (device kinds, hub kinds, the subjects a
    /// qualifier refines); empty: every form.
    let forms: [String]
    /// Whether its value is a secret that every output masks.
    let isSecret: Bool

    /// - Parameters:
    ///   - formLabel: how a description names the forms, for example `Kind` (`Kind process:
    ///     ...`); the description then starts with them.
    init(_ name: String, _ value: JSONSchema, _ description: String, forms: [String] = [], formLabel: String? = nil, isSecret: Bool = false) {
        self.name = name
        self.forms = forms
        self.isSecret = isSecret
        var text = description
        if let formLabel, !forms.isEmpty { text = "\(formLabel) \(Self.list(forms)): " + text }
        if isSecret { text += " Secret: masked in every output." }
        self.value = value.described(text)
    }

    /// `a`, `a and b`, `a, b and c`.
    static func list(_ words: [String]) -> String {
        guard let last = words.last, words.count > 1 else { return words.first ?? "" }
        return words.dropLast().joined(separator: ", ") + " and " + last
    }
}

/// The keys of one mapping of the scenario language, in the order editors list them.
struct VocabularyMapping: Sendable {
    let keys: [VocabularyKey]

    init(_ keys: [VocabularyKey]) {
        self.keys = keys
    }

    /// Every key's name: what the mapping allows, and the candidates of a did-you-mean.
    var names: [String] { keys.map(\.name) }

    subscript(name: String) -> VocabularyKey? {
        keys.first { $0.name == name }
    }

    /// The keys whose values are secret.
    var secretNames: Set<String> { Set(keys.filter(\.isSecret).map(\.name)) }

    /// The keys a form of the mapping takes.
    func names(takenBy form: String) -> [String] {
        keys.filter { $0.forms.isEmpty || $0.forms.contains(form) }.map(\.name)
    }

    /// The mapping as a JSON Schema: these keys and no others. A key whose forms are other
    /// keys of the same mapping (a qualifier and the subject it refines, a step's `device` and
    /// the actions that concern one) needs one of them beside it.
    func schema(required: [String] = []) -> JSONSchema {
        var schema = JSONSchema.object(keys.map { JSONSchema.Member(name: $0.name, schema: $0.value) }, required: required)
        let names = Set(self.names)
        for key in keys where !key.forms.isEmpty && key.forms.allSatisfy(names.contains) {
            if key.forms.count == 1 {
                schema.dependencies.append(JSONSchema.Dependency(key: key.name, requirement: .keys(key.forms)))
            } else {
                let partners = JSONSchema.anyOf(key.forms.map { JSONSchema.requiring($0) })
                    .described("'\(key.name)' goes with \(VocabularyKey.list(key.forms)).")
                schema.dependencies.append(JSONSchema.Dependency(key: key.name, requirement: .schema(partners)))
            }
        }
        return schema
    }
}

/// Values many keys share.
extension JSONSchema {
    /// A `${NAME}` reference, which the loader fills in before it reads the value.
    static let variable = JSONSchema.reference("variable")

    /// A number and a unit.
    static let duration = JSONSchema.string(pattern: #"^\s*[0-9]+(\.[0-9]+)?\s*(ns|us|µs|ms|s|m|h|d)\s*$|\$\{"#, examples: ["500ms", "1s", "2m"])
    static let durationFormat = "A number and a unit: 500ms, 1.5s, 2m, 1h (ns, us, ms, s, m, h, d)."

    /// True or false, in the words the loader reads as them, or a variable.
    static let flag = JSONSchema.anyOf([.type(.boolean), .oneOf(["true", "false", "yes", "no", "on", "off"]), .variable])

    /// A whole number within bounds, or a variable.
    static func wholeNumber(minimum: Int? = nil, maximum: Int? = nil) -> JSONSchema {
        .anyOf([.integer(minimum: minimum, maximum: maximum), .variable])
    }

    /// An MQTT QoS: 0, 1 or 2.
    static let qos = JSONSchema.wholeNumber(minimum: 0, maximum: 2)

    /// A payload written as a scalar.
    static let payload = JSONSchema.type(.string, .number, .boolean)

    /// Message properties: a name to a value, or to null for a bare name.
    static let messageProperties = JSONSchema.map(of: .type(.string, .number, .boolean, .null))

    /// A host and a port.
    static let address = JSONSchema.string(pattern: "^.+:[0-9]+$")

    /// An action step that takes no settings: `disconnect: {}`.
    static let noSettings: JSONSchema = {
        var schema = JSONSchema.type(.object, .null)
        schema.forbidsOtherProperties = true
        schema.maxProperties = 0
        return schema
    }()
}
