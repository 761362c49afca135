/// The Device Provisioning Service: the simulated hub's `dps:` settings, the `provision`
/// step and the `provisioned` expectation.
extension Vocabulary {
    /// How an enrollment attests, as scenarios spell it.
    static let attestations = ["symmetric_key", "x509"]

    /// `hub: { dps: { ... } }`.
    static let dpsHubKey = VocabularyKey(
        "dps", dps.schema(required: ["id_scope"]),
        "Hub kind simulated: a Device Provisioning Service on the hub's listener, with its ID scope, individual enrollments and enrollment groups; devices register with the 'provision' step.",
        forms: ["simulated"]
    )

    /// `dps: { id_scope, enrollments, groups, retry_after, assignment_delay }`.
    static let dps = VocabularyMapping([
        VocabularyKey("id_scope", .string(pattern: "^[A-Za-z0-9]{1,64}$", examples: ["0ne00000001"]), "The ID scope devices name (Azure makes 0ne and 8 hex digits)."),
        VocabularyKey("enrollments", .list(of: enrollment.schema(required: ["registration_id", "attestation"])), "Individual enrollments: one registration id each."),
        VocabularyKey("groups", .list(of: enrollmentGroup.schema(required: ["name", "attestation"])), "Enrollment groups: any registration id that attests as the group says."),
        VocabularyKey("retry_after", .wholeNumber(minimum: 0, maximum: 60), "The retry-after (seconds) of the service's 202 answers; default 3, as the real service."),
        VocabularyKey("assignment_delay", .duration, "How long a registration stays 'assigning' on the hub's clock (default 0). " + JSONSchema.durationFormat),
    ])

    /// An individual enrollment.
    static let enrollment = VocabularyMapping([
        VocabularyKey("registration_id", .string(pattern: "^[a-z0-9._:-]{1,128}$"), "The registration id (lowercase letters, digits, - . _ :); also the device id DPS assigns."),
        VocabularyKey("attestation", .oneOf(attestations), "symmetric_key (primary_key, optional secondary_key) or x509 (cert_file: the device's certificate)."),
        VocabularyKey("primary_key", .string(minLength: 1), "With symmetric_key: the enrollment's primary key (base64).", isSecret: true),
        VocabularyKey("secondary_key", .string(minLength: 1), "With symmetric_key: its secondary key (base64).", isSecret: true),
        VocabularyKey("cert_file", .string(minLength: 1), "With x509: the device's certificate (PEM); the enrollment holds its thumbprint."),
        enabled,
    ])

    /// An enrollment group.
    static let enrollmentGroup = VocabularyMapping([
        VocabularyKey("name", .string(pattern: "^[A-Za-z0-9._-]{1,128}$"), "The group's name (letters, digits, - . _)."),
        VocabularyKey("attestation", .oneOf(attestations), "symmetric_key (primary_key: each member's key is derived from it for its registration id) or x509 (ca_file)."),
        VocabularyKey("primary_key", .string(minLength: 1), "With symmetric_key: the group key (base64).", isSecret: true),
        VocabularyKey("secondary_key", .string(minLength: 1), "With symmetric_key: the group's secondary key (base64).", isSecret: true),
        VocabularyKey("ca_file", .string(minLength: 1), "With x509: the CA certificate (PEM) members' certificates chain to."),
        enabled,
    ])

    /// `enabled: false` on an enrollment or group.
    static let enabled = VocabularyKey("enabled", .flag, "false: the enrollment is disabled, and a registration it vouches for ends 'disabled' (default true).")

    /// The `provision` step.
    static let provisionAction = Action(
        key: VocabularyKey(
            "provision", .anyOf([.type(.null), provision.schema()]),
            "Kinds simulated and client: the device registers with the hub's DPS (register, poll the operation until it ends) and connects afterwards with the hub and device id DPS assigned. The JUnit case carries the registration latency and the status polls."
        ),
        concernsDevice: true
    )

    /// `provision: { group, key, id_scope }`.
    static let provision = VocabularyMapping([
        VocabularyKey("group", .string(minLength: 1), "The enrollment group the device's key is derived from (default: its own enrollment, or the only symmetric-key group)."),
        VocabularyKey("key", .string(minLength: 1), "Sign the registration token with this key (base64) instead of the enrollment's: for refusal tests.", isSecret: true),
        VocabularyKey("id_scope", .string(minLength: 1), "Name this ID scope instead of the hub's: for refusal tests."),
        VocabularyKey(
            "refused", .anyOf([.type(.boolean), .integer(minimum: 400, maximum: 599), .variable]),
            "DPS must not assign the device: true for an error answer or a registration that ends failed or disabled, or the status of the error answer (401, 404, ...). Being assigned fails the step."
        ),
    ])

    /// `expect: { provisioned: assigned, ... }`.
    static let provisionedSubject = VocabularyKey(
        "provisioned", .anyOf([.oneOf(["assigned", "failed", "disabled", "refused"]), .variable]),
        "The hub's DPS ends the device's registration so: assigned, failed, disabled, or refused (an error answer such as 401)."
    )

    /// The qualifiers of `provisioned`.
    static let provisionedQualifiers = [
        VocabularyKey("assigned_hub", .string(minLength: 1), "the host name of the hub DPS assigned.", forms: ["provisioned"], formLabel: "With"),
        VocabularyKey("device_id", .string(minLength: 1), "the device id DPS assigned.", forms: ["provisioned"], formLabel: "With"),
        VocabularyKey("status_code", .wholeNumber(minimum: 400, maximum: 599), "with refused, the status of DPS's error answer (401, 404, ...).", forms: ["provisioned"], formLabel: "With"),
    ]
}
