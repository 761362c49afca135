import IoTHubCore

/// The JSON Schema of scenario files, made from ``Vocabulary``: `harness schema` writes it
/// (the repository keeps it at ``repositoryPath`` for editors), and `harness validate` checks
/// files against it.
public enum ScenarioSchema {
    /// Where the repository keeps the schema; scenario files name it in their
    /// `# yaml-language-server: $schema=...` line.
    public static let repositoryPath = "Sources/Scenario/Resources/scenario.schema.json"

    /// The schema file's text: indented JSON, keys sorted, and a final newline.
    public static var text: String { document.prettyText + "\n" }

    /// The schema as JSON.
    static let document: JSONValue = {
        guard case .object(var members) = root.jsonValue else { preconditionFailure("a schema with keywords is a JSON object") }
        members["$schema"] = .string("http://json-schema.org/draft-07/schema#")
        members["$id"] = .string("https://github.com/harness/scenario.schema.json")
        members["title"] = .string("harness scenario")
        return .object(members)
    }()

    private static var root: JSONSchema {
        var root = Vocabulary.scenario.schema(required: ["steps"])
            .described("A harness scenario: devices, the hub to run against, and steps with deadlines. Made from the scenario vocabulary by `harness schema`.")
        root.anyOf = [.requiring("device"), .requiring("devices"), .requiring("fleet"), .requiring("fleets")]
        root.patternProperties = [JSONSchema.Member(name: "^x-", schema: JSONSchema().described("Extension keys, ignored by harness: a place for YAML anchors."))]
        // Without targets every device runs as the file gives it, so the keys of its kind can
        // be checked here; a target may change the kind.
        root.condition = .requiring("targets")
        var devicesOfTheirKind = JSONSchema()
        devicesOfTheirKind.properties = [
            JSONSchema.Member(name: "device", schema: .reference("deviceKind")),
            JSONSchema.Member(name: "devices", schema: .list(of: .reference("deviceKind"))),
        ]
        root.otherwise = devicesOfTheirKind
        root.definitions = definitions
        return root
    }

    private static var definitions: [JSONSchema.Member] {
        var variable = JSONSchema.string(pattern: #"^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$"#)
        variable.description = "A variable: ${NAME} or ${NAME:-default}."
        var hex = JSONSchema.string(pattern: #"^(\s*[0-9A-Fa-f]{2})+\s*$|\$\{"#)
        hex.description = #"Bytes as hex pairs, whitespace allowed: "10 0c 00 04 4d 51 54 54"."#
        var statements = JSONSchema.list(of: .string(minLength: 1, pattern: #"^\S+$"#))
        statements.uniqueItems = true
        statements.description = """
            Normative statement ids this step checks, for example MQTT-3.8.4-6; only the outcomes of the steps that name a \
            statement decide its verdict in `harness conform`. An MQTT- id must be one of the MQTT 3.1.1 standard's \
            (Sources/Scenario/Resources/mqtt-3.1.1-statements.tsv).
            """
        var device = JSONSchema.allOf([.reference("deviceKeys")])
        device.anyOf = [.requiring("id"), .requiring("connection_string")]
        device.description = "A device under test: its id (or connection string), credentials, and the settings of its kind."
        return [
            JSONSchema.Member(name: "variable", schema: variable),
            JSONSchema.Member(name: "hex", schema: hex),
            JSONSchema.Member(name: "statements", schema: statements),
            JSONSchema.Member(name: "hub", schema: Vocabulary.hubValue),
            JSONSchema.Member(name: "deviceKeys", schema: Vocabulary.device.schema().described("Every key a device may have.")),
            JSONSchema.Member(name: "device", schema: device),
            JSONSchema.Member(name: "deviceKind", schema: deviceKind),
            JSONSchema.Member(name: "fleet", schema: Vocabulary.fleet.schema(required: ["id", "count"]).described("A fleet: devices made from one template, with ids from a pattern.")),
            JSONSchema.Member(name: "step", schema: step),
            JSONSchema.Member(name: "expectation", schema: expectation),
            JSONSchema.Member(name: "expectationBranch", schema: expectationBranch),
            JSONSchema.Member(name: "fault", schema: fault),
        ] + Vocabulary.mqttPropertyDefinitions + Vocabulary.reasonCodeDefinitions
    }

    /// Each kind of device takes no key of the other kinds, and has the key it needs. A device
    /// without `kind` is simulated.
    private static var deviceKind: JSONSchema {
        let parts = Vocabulary.deviceKinds.map { kind -> JSONSchema in
            let name = kind.kind.rawValue
            var condition = JSONSchema()
            condition.properties = [JSONSchema.Member(name: "kind", schema: .oneOf([name]))]
            if kind.kind != .simulated { condition.required = ["kind"] }
            var then = JSONSchema().described("A \(name) device takes no setting of another kind.")
            then.properties = Vocabulary.device.keys.filter { !$0.forms.isEmpty && !$0.forms.contains(name) }
                .map { JSONSchema.Member(name: $0.name, schema: .never) }
            if kind.requiredKeys.count == 1 {
                then.required = kind.requiredKeys
            } else if kind.requiredKeys.count > 1 {
                then.oneOf = kind.requiredKeys.map { key in
                    var option = JSONSchema()
                    option.required = [key]
                    return option
                }
            }
            var part = JSONSchema()
            part.condition = condition
            part.then = then
            return part
        }
        return JSONSchema.allOf(parts).described("The keys each kind of device takes.")
    }

    /// A fault: its kind, and the settings of that kind only (with the one it needs).
    private static var fault: JSONSchema {
        let parts = Vocabulary.faultKinds.map { kind -> JSONSchema in
            var condition = JSONSchema()
            condition.properties = [JSONSchema.Member(name: "kind", schema: .oneOf([kind.name]))]
            condition.required = ["kind"]
            var then = JSONSchema().described("A \(kind.name) fault takes no setting of another kind.")
            then.properties = Vocabulary.fault.keys.filter { !$0.forms.isEmpty && !$0.forms.contains(kind.name) }
                .map { JSONSchema.Member(name: $0.name, schema: .never) }
            then.required = Vocabulary.faultRequiredKeys[kind.name].map { [$0] } ?? []
            var part = JSONSchema()
            part.condition = condition
            part.then = then
            return part
        }
        var fault = JSONSchema.allOf([Vocabulary.fault.schema(required: ["kind"])] + parts)
        fault.description = "What goes wrong, for whom, and for how long; each kind takes its own settings."
        return fault
    }

    /// One action, with the keys that go with it.
    private static var step: JSONSchema {
        var step = Vocabulary.step.schema()
        step.oneOf = Vocabulary.actions.map { .requiring($0.name) }
        for action in Vocabulary.actions where !action.requires.isEmpty {
            step.dependencies.append(JSONSchema.Dependency(key: action.name, requirement: .keys(action.requires)))
        }
        return step.described("One step: one action, or an expectation, or a repeat block.")
    }

    /// One subject (or `one_of`) with its qualifiers, and one deadline.
    private static var expectation: JSONSchema {
        var expectation = Vocabulary.expectation.schema()
        expectation.oneOf = (Vocabulary.expectationSubjects + [Vocabulary.alternatives]).map { .requiring($0.name) }
        expectation.anyOf = Vocabulary.deadlines.map { .requiring($0.name) }
        return expectation.described("One subject with its qualifiers, and a deadline: within (must happen) or for (must hold, or must not happen).")
    }

    /// One subject with its qualifiers, or only `not_applicable`.
    private static var expectationBranch: JSONSchema {
        var branch = Vocabulary.expectationBranch.schema()
        branch.anyOf = (Vocabulary.expectationSubjects + [Vocabulary.notApplicable]).map { .requiring($0.name) }
        return branch.described("One branch of one_of: one subject with its qualifiers, and not_applicable where that branch means the step does not apply.")
    }
}
