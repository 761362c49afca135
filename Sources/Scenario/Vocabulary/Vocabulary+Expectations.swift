import MQTTCore

/// Expectations: one subject, the qualifiers that refine it, and one deadline.
extension Vocabulary {
    /// What an expectation looks for; an `expect` has exactly one (or a `one_of`).
    static let expectationSubjects = [
        VocabularyKey(
            "connack", .anyOf([.oneOf(ConnectReturnCode.allCases.map(\.name)), .integer(minimum: 0, maximum: 5), .variable, connackExpectation.schema()]),
            "The device receives CONNACK with this return code; or { reason, session_present, properties } (MQTT 5.0)."
        ),
        VocabularyKey(
            "disconnect", .anyOf([.type(.null), reasonCode(in: .disconnect), disconnectExpectation.schema()]),
            "MQTT 5.0: the broker sends the device a DISCONNECT, with this reason or { reason, properties }."
        ),
        VocabularyKey("publish", .anyOf([.type(.null), publishExpectation.schema()]), "The device receives a PUBLISH matching { topic, payload, qos, retain, properties }."),
        VocabularyKey("led", onOff, "The LED is written to this state (for: stays in it)."),
        VocabularyKey("pin", .wholeNumber(minimum: 0, maximum: 1023), "The device writes 'value' to this GPIO."),
        VocabularyKey(
            "packet", .anyOf([.oneOf(MQTTPacketType.allCases.map(\.name) + MQTTPacketType.allCases.map { $0.name.lowercased() }), .variable]),
            "A packet of this type crosses the device's connection (for: none does)."
        ),
        VocabularyKey("telemetry", .type(.string, .number, .boolean, .null), "The hub receives telemetry from the device with this payload ('any' for any payload)."),
        VocabularyKey("disconnected", .anyOf([JSONSchema.flag, .oneOf(["all"])]), "true: the device's connection ends; false (with for): it does not; all: every device of the fleet's."),
        VocabularyKey("reconnected", .anyOf([JSONSchema.flag, .oneOf(["all"])]), "true: the device connects again after its last drop; false (with for): it does not; all: every device of the fleet does."),
        VocabularyKey("queued", .wholeNumber(minimum: 0, maximum: 1000), "The device's C2D queue on the hub holds this many messages."),
        VocabularyKey("output", .string(minLength: 1), "The device prints a line matching this regular expression."),
        VocabularyKey("bytes", .reference("hex"), "Kind client: the bytes the device receives after the causing action start with exactly these."),
        VocabularyKey(
            "delivered", .oneOf(["all"]),
            "Every C2D message the hub accepted for the device so far has reached it, each exactly once (see duplicates); a failure lists the missing message ids."
        ),
        provisionedSubject,
    ]

    /// Keys that refine one subject.
    static let expectationQualifiers = [
        qualifier("value", of: "pin", onOff, "the value written."),
        qualifier("direction", of: "packet", .oneOf(PacketFlow.allCases.map(\.rawValue)), "which way the packet goes."),
        qualifier("topic", of: "packet", .string(minLength: 1), "a filter the packet's topic matches."),
        qualifier("qos", of: "packet", .qos, "the packet's QoS."),
        qualifier("dup", of: "packet", .flag, "the packet's DUP flag."),
        qualifier("retain", of: "packet", .flag, "the packet's RETAIN flag."),
        qualifier("payload", of: "packet", .payload, "the packet's payload."),
        qualifier(
            "published_qos", of: "packet", .anyOf([.oneOf([0, 1, 2]), .variable]),
            "with PUBLISH to a device, the QoS the message was published at; the delivery QoS must be the minimum of it and the QoS the broker granted in its SUBACK (MQTT-3.8.4-6)."
        ),
        VocabularyKey(
            "properties", .anyOf([.messageProperties, anyMQTTProperties]),
            "With telemetry: properties the message has at least (name -> value, null for a bare name). With packet: MQTT 5.0 properties the packet carries at least.",
            forms: ["telemetry", "packet"]
        ),
        VocabularyKey(
            "reason", .anyOf([.oneOf(DisconnectKind.allCases.map(\.rawValue)), anyReasonCode]),
            "With disconnected: why the hub dropped the device (the simulated hub only). With packet: the MQTT 5.0 reason code (every code of a SUBACK or UNSUBACK).",
            forms: ["disconnected", "packet"]
        ),
        qualifier("reasons", of: "packet", .list(of: anyReasonCode, minItems: 1), "MQTT 5.0, SUBACK and UNSUBACK: the reason codes, one per topic filter."),
        qualifier("exact", of: "bytes", .flag, "nothing else may arrive before the connection closes or the deadline."),
        qualifier("duplicates", of: "delivered", .flag, "a message may reach the device more than once (a QoS 1 redelivery after a lost PUBACK); default false."),
    ] + provisionedQualifiers

    /// The deadline of an expectation: one of these.
    static let deadlines = [
        VocabularyKey("within", .duration, "It must be observed within this long of the causing action. " + JSONSchema.durationFormat),
        VocabularyKey("for", .duration, "For this long after the causing action, a state must hold, or an event must not happen. " + JSONSchema.durationFormat),
    ]

    /// `devices: all | N | N%` on a fleet step.
    static let quorum = VocabularyKey(
        "devices", .anyOf([.oneOf(["all"]), .integer(minimum: 1), .string(pattern: #"^[0-9]+(\.[0-9]+)?%$"#), .variable]),
        "On a fleet step: how many of its devices must satisfy the expectation: all (the default), a number, or a percentage such as 99%. The JUnit case carries the latency percentiles over the devices; a failure lists the first ten that missed."
    )

    /// `after: N`.
    static let after = VocabularyKey(
        "after", .wholeNumber(minimum: 1, maximum: 100_000),
        "The number of an earlier expect step of the same device: this observation must come after the one that satisfied it (ordering)."
    )

    /// `one_of: [...]`, the subject of an expectation whose peer may do either of several things.
    static let alternatives = VocabularyKey(
        "one_of", .list(of: .reference("expectationBranch"), minItems: 2),
        "Any one of these branches, whichever is observed first (the peer may do either); takes 'within'."
    )

    /// `not_applicable: reason` on a branch of `one_of`.
    static let notApplicable = VocabularyKey(
        "not_applicable", .string(minLength: 1),
        "Observing this branch (or, alone in the last branch, none of the others) makes the step not applicable, for this reason."
    )

    /// The keys of `expect:`.
    static let expectation = VocabularyMapping(expectationSubjects + expectationQualifiers + deadlines + [after, alternatives, quorum])

    /// The keys of a branch of `one_of`.
    static let expectationBranch = VocabularyMapping(expectationSubjects + expectationQualifiers + [notApplicable])

    /// On or off, in the words the loader reads as them.
    private static let onOff = JSONSchema.anyOf([
        .type(.boolean), .oneOf([0, 1]), .oneOf(["on", "off", "true", "false", "high", "low", "0", "1"]), .variable,
    ])

    private static func qualifier(_ name: String, of subject: String, _ value: JSONSchema, _ description: String) -> VocabularyKey {
        VocabularyKey(name, value, description, forms: [subject], formLabel: "With")
    }
}
