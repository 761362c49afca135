/// Fleets: many devices from one template.
extension Vocabulary {
    /// The keys only a fleet has.
    static let fleetOwnKeys = [
        VocabularyKey("name", .string(minLength: 1, pattern: "^[A-Za-z0-9_.-]+$"), "The name steps address the fleet by (device: NAME, or NAME[0..99] for a range); default 'fleet'."),
        VocabularyKey("id", .string(minLength: 1, examples: ["sensor-${index}"]), "The members' ids: text with ${index} (0, 1, ...) or ${index:N} (zero-padded to N digits)."),
        VocabularyKey("count", .wholeNumber(minimum: 1, maximum: FleetSpec.maximumCount), "How many devices the fleet has (across every shard)."),
        VocabularyKey(
            "connect_rate", .anyOf([.string(pattern: "^[0-9]+(\\.[0-9]+)?/s$"), .type(.number), .variable]),
            "Connects per second when a step connects the fleet, such as 1000/s (default: as fast as the machine allows)."
        ),
        VocabularyKey(
            "group_key", .string(),
            "A base64 key the members' keys are derived from as a DPS group enrollment derives them (HMAC-SHA256 of the device id); default: a random one per run.",
            isSecret: true
        ),
        VocabularyKey("keys_file", .string(), "A file of 'device-id,base64-key' lines (a registry you already filled); its keys win over derived ones."),
    ]

    /// A step's `device: { fleet, range | percent | sample, seed }`.
    static let fleetSelection = VocabularyMapping([
        VocabularyKey("fleet", .string(minLength: 1), "The fleet's name."),
        VocabularyKey("range", .string(pattern: "^[0-9]+\\.\\.[0-9]+$"), "Member indices first..last, such as 0..99."),
        VocabularyKey("percent", .anyOf([.type(.number), .string(pattern: "^[0-9]+(\\.[0-9]+)?%?$")]), "This percentage of the fleet, chosen at random with the seed."),
        VocabularyKey("sample", .wholeNumber(minimum: 1), "This many members, chosen at random with the seed."),
        VocabularyKey("seed", .wholeNumber(minimum: 0), "The seed of the random choice (default 0): the same seed chooses the same members everywhere."),
    ])

    /// Device keys a fleet's members cannot share.
    static let memberOnlyKeys: Set<String> = ["id", "key", "token", "connection_string", "client_id"]

    /// The keys of `fleet:` and each item of `fleets:`: the fleet's own, then every device key
    /// the members share.
    static let fleet = VocabularyMapping(fleetOwnKeys + device.keys.filter { !memberOnlyKeys.contains($0.name) })
}
