/// Faults: what a `fault:` step names and the settings of each kind.
extension Vocabulary {
    /// Each kind of fault with what it does, in the order the README lists them.
    static let faultKinds: [(name: String, description: String)] = [
        ("drop", "every open connection of the device is reset (RST), once"),
        ("close", "every open connection of the device is closed cleanly (FIN), once"),
        ("blackhole", "the device's connections stay open and carry nothing either way (a half-open link)"),
        ("delay", "bytes are held 'delay' (± 'jitter') before they go on"),
        ("bandwidth", "bytes go no faster than 'bytes_per_second'"),
        ("slice", "bytes arrive in pieces of 'bytes' bytes"),
        ("refuse", "new connections are refused"),
        ("partition", "open connections are reset and new ones refused"),
        ("restart", "simulated hub: every connection drops, sessions and queued messages survive, no connection is taken until it is back"),
        ("throttle", "simulated hub: CONNECT is refused and the service API answers 429"),
        ("auth_error", "simulated hub: every CONNECT is refused with CONNACK 5"),
        ("quota_exceeded", "simulated hub: CONNECT succeeds, the connection is cut when the device sends telemetry"),
        ("certificate_expired", "simulated hub over TLS: connections opened from now on get a server certificate of the hub's CA that expired yesterday"),
        ("certificate_wrong_name", "simulated hub over TLS: new connections get a valid certificate of the hub's CA for another host name (\(wrongCertificateHostName))"),
        ("certificate_untrusted", "simulated hub over TLS: new connections get a certificate signed by a CA no device trusts"),
        (
            "ca_rotation",
            "simulated hub over TLS: new connections get a certificate of the hub's next root CA, as IoT Hub's 2023 move from Baltimore to DigiCert Global Root G2; devices with trusted_roots: both go on"
        ),
        ("clock_skew", "the device's clock is off by 'skew' (negative: behind), so the SAS tokens the harness mints for it are dated by the wrong time"),
    ]

    /// The kinds that strike the simulated hub rather than a network path or a device's clock:
    /// its behaviour and its certificate.
    static let hubFaultNames = ["restart", "throttle", "auth_error", "quota_exceeded"] + certificateFaultNames

    /// The kinds that change the simulated hub's TLS certificate (hub-wide, no 'device').
    static let certificateFaultNames = ["certificate_expired", "certificate_wrong_name", "certificate_untrusted", "ca_rotation"]

    /// The host name a certificate_wrong_name certificate is for.
    static let wrongCertificateHostName = "another-hub.azure-devices.net"

    /// The keys of a `fault:` mapping.
    static let fault = VocabularyMapping([
        VocabularyKey(
            "kind", .oneOf(faultKinds.map(\.name)),
            "What goes wrong: " + faultKinds.map { "\($0.name): \($0.description)" }.joined(separator: "; ") + "."
        ),
        VocabularyKey(
            "device", .string(minLength: 1),
            "The device struck, or 'all'. Default: the only device; a hub fault without it strikes the whole hub; certificate faults take none (every device sees the hub's certificate)."
        ),
        VocabularyKey(
            "for", .duration,
            "How long until the fault heals by itself (not for drop and close, which happen once); without it, until a 'heal' step or the end of the run. "
                + JSONSchema.durationFormat
        ),
        faultKey("delay", for: ["delay"], .duration, "How long each byte is held. " + JSONSchema.durationFormat),
        faultKey("jitter", for: ["delay"], .duration, "Each chunk's delay varies by up to this much either way, drawn from the run's seed (default 0)."),
        faultKey("bytes_per_second", for: ["bandwidth"], .wholeNumber(minimum: 1, maximum: 1_000_000_000), "The rate bytes go through at."),
        faultKey("bytes", for: ["slice"], .wholeNumber(minimum: 1, maximum: 65_536), "The size of the pieces bytes arrive in."),
        faultKey(
            "skew", for: ["clock_skew"], .string(pattern: #"^\s*[+-]?\s*[0-9]+(\.[0-9]+)?\s*(ns|us|µs|ms|s|m|h|d)\s*$|\$\{"#, examples: ["10m", "-10m"]),
            "How far the device's clock is off: ahead, or behind with a minus sign (-10m). A device behind by more than its token_ttl plus the hub's 5-minute allowance mints tokens the hub refuses (CONNACK 5)."
        ),
        faultKey(
            "direction", for: ["delay", "bandwidth", "slice"], .oneOf(FaultDirection.allCases.map(\.rawValue)),
            "Which way it acts: to_hub, to_device or both (default)."
        ),
    ])

    /// The setting each kind needs.
    static let faultRequiredKeys = ["delay": "delay", "bandwidth": "bytes_per_second", "slice": "bytes", "clock_skew": "skew"]

    /// The keys of a `heal:` mapping.
    static let heal = VocabularyMapping([
        VocabularyKey("kind", .oneOf(faultKinds.map(\.name)), "The kind of fault to end (default: every kind)."),
        VocabularyKey("device", .string(minLength: 1), "Whose faults to end, or 'all' (default: everyone's)."),
    ])

    /// The keys of a `chaos:` mapping.
    static let chaos = VocabularyMapping([
        VocabularyKey("for", .duration, "How long the steps keep running. " + JSONSchema.durationFormat),
        VocabularyKey(
            "every", .string(pattern: #"^\s*[0-9.]+\s*[a-zµ]+\s*(\.\.\s*[0-9.]+\s*[a-zµ]+\s*)?$|\$\{"#, examples: ["5s..20s", "10s"]),
            "The wait between two strikes: a duration, or the shortest and longest (5s..20s), drawn from the seed."
        ),
        VocabularyKey("faults", .list(of: .reference("fault"), minItems: 1), "The faults a strike picks from, at random; each heals after its own 'for'."),
        VocabularyKey(
            "invariants", .list(of: .anyOf([.oneOf(["delivered", "led_follows_delivered"]), .object([JSONSchema.Member(name: "reconnected_within", schema: .duration)], required: ["reconnected_within"])]), minItems: 1),
            "What must hold for every device: delivered (no C2D lost), led_follows_delivered (the LED ends as the last delivered message asked), { reconnected_within: 30s } (every drop followed by a reconnect)."
        ),
        VocabularyKey("seed", .wholeNumber(minimum: 0), "The block's own seed (default: the run's, printed and set with --seed)."),
    ])

    /// A fault key that only some kinds take.
    private static func faultKey(_ name: String, for kinds: [String], _ value: JSONSchema, _ description: String) -> VocabularyKey {
        VocabularyKey(name, value, description, forms: kinds, formLabel: kinds.count == 1 ? "Kind" : "Kinds")
    }
}
