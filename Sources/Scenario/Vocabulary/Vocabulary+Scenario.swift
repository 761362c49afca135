/// The top of a scenario file and its targets.
extension Vocabulary {
    /// The keys at the top of a scenario file (besides `x-` extension keys).
    static let scenario = VocabularyMapping([
        VocabularyKey("name", .string(minLength: 1), "The scenario's name in reports (default: the file name)."),
        VocabularyKey("description", .string(), "What the scenario shows."),
        VocabularyKey("statements", .reference("statements"), "Normative statements every step (not the cleanup) checks."),
        VocabularyKey("hub", .reference("hub"), "What to run against (default: simulated); or 'targets' for several."),
        VocabularyKey("device", .reference("device"), "The device under test; or 'devices' for several."),
        VocabularyKey("devices", .list(of: .reference("device"), minItems: 1), "The devices under test; each step names the device it concerns."),
        VocabularyKey("fleet", .reference("fleet"), "Many devices from one template (count, id pattern, connect rate); or 'fleets' for several."),
        VocabularyKey("fleets", .list(of: .reference("fleet"), minItems: 1), "Several fleets, each with its own name."),
        VocabularyKey("targets", .list(of: target.schema(required: ["hub"]), minItems: 1), "What to run against: the scenario runs once per target."),
        VocabularyKey(
            "secrets", .list(of: .string(pattern: "^[A-Za-z_][A-Za-z0-9_]*$")),
            "Variables whose values are secret: masked in every output, as device keys and tokens are."
        ),
        VocabularyKey("steps", .list(of: .reference("step"), minItems: 1), "What happens, in order; after a failed step the rest are skipped."),
        VocabularyKey(
            "finally", .list(of: .reference("step"), minItems: 1),
            "Cleanup that runs after the steps whatever happened in them (after a failure too): close connections, discard persistent sessions, clear retained messages."
        ),
    ])

    /// The keys of each item of `targets:`.
    static let target = VocabularyMapping([
        VocabularyKey("name", .string(), "The target's name in reports (default: its hub)."),
        VocabularyKey("hub", .reference("hub"), "What this target runs against."),
        VocabularyKey("device", targetDevice, "Settings this target changes in every device of the scenario (not its id)."),
    ])

    /// A target's `device:`: any device key but `id`.
    private static var targetDevice: JSONSchema {
        var schema = JSONSchema.allOf([.reference("deviceKeys")])
        schema.propertyNames = device.names.filter { $0 != "id" }
        return schema
    }
}
