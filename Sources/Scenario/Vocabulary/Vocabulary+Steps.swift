import MQTTCore
import IoTHubCore

/// Steps: one action each, with the device it concerns and the statements it checks.
extension Vocabulary {
    /// An action a step takes: its key and value, and whether it concerns one device.
    struct Action: Sendable {
        let key: VocabularyKey
        /// Whether the step acts on or observes one device (`device:` names it when there are
        /// several); `wait`, `advance_clock` and `repeat` concern the hub or time.
        let concernsDevice: Bool
        /// Keys the step must have beside the action (a `repeat` needs its `steps`).
        var requires: [String] = []
        var name: String { key.name }
    }

    static let actions = [
        Action(key: VocabularyKey("connect", .anyOf([.type(.null), connect.schema()]), "The device connects and waits for CONNACK."), concernsDevice: true),
        Action(
            key: VocabularyKey("subscribe", .anyOf([.string(minLength: 1), subscribe.schema(required: ["topic"])]), "The device subscribes and waits for SUBACK."),
            concernsDevice: true
        ),
        Action(
            key: VocabularyKey("unsubscribe", .anyOf([.string(minLength: 1), unsubscribe.schema(required: ["topic"])]), "The device unsubscribes and waits for UNSUBACK."),
            concernsDevice: true
        ),
        Action(key: VocabularyKey("send", .anyOf([.payload, send.schema(required: ["payload"])]), "The cloud sends a C2D message."), concernsDevice: true),
        Action(
            key: VocabularyKey("publish", .anyOf([.payload, publish.schema(required: ["payload"])]), "The device publishes (telemetry unless a topic is given)."),
            concernsDevice: true
        ),
        Action(
            key: VocabularyKey("disconnect", .anyOf([.noSettings, disconnect.schema()]), "The device sends DISCONNECT (MQTT 5.0: with a reason and properties)."),
            concernsDevice: true
        ),
        provisionAction,
        Action(key: VocabularyKey("restart", .noSettings, "The device is power-cycled: the connection drops without DISCONNECT."), concernsDevice: true),
        Action(
            key: VocabularyKey(
                "send_bytes", .reference("hex"),
                "Kind client: write raw bytes on the device's connection, opening the transport (without CONNECT) when it is not open."
            ),
            concernsDevice: true
        ),
        Action(key: VocabularyKey("expire_token", .noSettings, "The hub's clock jumps past the device's token expiry."), concernsDevice: true),
        Action(key: VocabularyKey("revoke", .noSettings, "The hub revokes the device's credentials and drops it."), concernsDevice: true),
        Action(key: VocabularyKey("advance_clock", .duration, "The hub's clock jumps forward. " + JSONSchema.durationFormat), concernsDevice: false),
        Action(key: VocabularyKey("wait", .duration, "Nothing happens for that long. " + JSONSchema.durationFormat), concernsDevice: false),
        Action(
            key: VocabularyKey(
                "fault", .reference("fault"),
                "Something goes wrong on a device's network path or on the simulated hub, and heals by itself after 'for'."
            ),
            concernsDevice: false
        ),
        Action(key: VocabularyKey("heal", .anyOf([.type(.null), heal.schema()]), "Faults end before their time: every fault, or those of a kind or a device."), concernsDevice: false),
        Action(
            key: VocabularyKey("expect", .allOf([.reference("expectation")]), "Something must (within) or must not / must keep (for) be observed."),
            concernsDevice: true
        ),
        Action(
            key: VocabularyKey("repeat", .wholeNumber(minimum: 1, maximum: 100_000), "The steps under 'steps' run this many times."),
            concernsDevice: false, requires: ["steps"]
        ),
        Action(
            key: VocabularyKey("chaos", chaos.schema(required: ["for", "every", "faults", "invariants"]), "The steps under 'steps' run again and again while faults strike at random; invariants must hold."),
            concernsDevice: false, requires: ["steps"]
        ),
    ]

    /// The keys a step has besides its action.
    static let stepKeys = VocabularyMapping([
        VocabularyKey(
            "device", .anyOf([.string(), fleetSelection.schema(required: ["fleet"])]),
            "The device the step concerns (needed when the scenario has several), a fleet by name (NAME, NAME[0..99]), a member by id, or { fleet, range | percent | sample, seed }.",
            forms: actions.filter(\.concernsDevice).map(\.name)
        ),
        VocabularyKey("statements", .reference("statements"), "The normative statements this step checks."),
        VocabularyKey("steps", .list(of: .reference("step"), minItems: 1), "The steps a repeat or chaos block runs.", forms: ["repeat", "chaos"]),
        VocabularyKey("thresholds", thresholds, "Latency thresholds the repeat block must meet.", forms: ["repeat"]),
    ])

    /// The keys a step may have: every action and the keys beside it.
    static var step: VocabularyMapping { VocabularyMapping(actions.map(\.key) + stepKeys.keys) }

    /// `connect: { clean_session, keepalive }`, and in MQTT 5.0 `clean_start` and `properties`.
    static let connect = VocabularyMapping([
        VocabularyKey("clean_session", .flag, "The CONNECT's clean session flag (default true, as umqtt); Clean Start in MQTT 5.0."),
        VocabularyKey("clean_start", .flag, "MQTT 5.0: the Clean Start flag (the same flag as clean_session)."),
        VocabularyKey("keepalive", .wholeNumber(minimum: 0, maximum: 65535), "The CONNECT's keep-alive in seconds (default 0: none, as umqtt)."),
        VocabularyKey("properties", mqttProperties(.connect), "MQTT 5.0: CONNECT properties (session_expiry_interval, receive_maximum, user, ...)."),
    ])

    /// `subscribe: { topic, qos }`, and in MQTT 5.0 the subscription options and properties.
    static let subscribe = VocabularyMapping([
        VocabularyKey("topic", .string(minLength: 1), "The topic filter."),
        VocabularyKey("qos", .qos, "The requested QoS (default 0)."),
        VocabularyKey("no_local", .flag, "MQTT 5.0: the broker must not send the device its own messages (default false)."),
        VocabularyKey("retain_as_published", .flag, "MQTT 5.0: forwarded messages keep their RETAIN flag (default false)."),
        VocabularyKey("retain_handling", .wholeNumber(minimum: 0, maximum: 2), "MQTT 5.0: 0 send retained messages (default), 1 only for a new subscription, 2 never."),
        VocabularyKey("properties", mqttProperties(.subscribe), "MQTT 5.0: SUBSCRIBE properties (subscription_identifier, user)."),
    ])

    /// `unsubscribe: { topic }`, and in MQTT 5.0 `properties`.
    static let unsubscribe = VocabularyMapping([
        VocabularyKey("topic", .string(minLength: 1), "The topic filter."),
        VocabularyKey("properties", mqttProperties(.unsubscribe), "MQTT 5.0: UNSUBSCRIBE properties (user)."),
    ])

    /// The largest `payload_size`: 1 MiB, four times IoT Hub's largest message.
    static let maximumPayloadSize = 1 << 20

    static let payloadSize = VocabularyKey(
        "payload_size", .wholeNumber(minimum: 1, maximum: maximumPayloadSize),
        "Repeat the payload (ASCII) to exactly this many bytes, for size-limit tests: 65537 is one byte over IoT Hub's C2D limit."
    )

    static let properties = VocabularyKey("properties", .messageProperties, "Message properties: name -> value (null for a bare name).")

    /// `send: { payload, ... }`: a C2D message and what the hub must do with it.
    static let send: VocabularyMapping = {
        var refusalCode = JSONSchema.string(pattern: "^[A-Za-z0-9]+$")
        refusalCode.examples = IoTHubErrorCode.cloudToDeviceRefusals.map(\.rawValue)
        return VocabularyMapping([
            VocabularyKey("payload", .payload, "The message body."),
            payloadSize,
            properties,
            VocabularyKey("message_id", .string(), "The message id (default: a new one)."),
            VocabularyKey("correlation_id", .string(), "The correlation id."),
            VocabularyKey("ttl", .duration, "How long the hub keeps it for the device, from 1m to 2d. " + JSONSchema.durationFormat),
            VocabularyKey("ack", .anyOf([.oneOf(CloudToDeviceMessage.Acknowledgement.spellings), .variable]), "The feedback the cloud asks for."),
            VocabularyKey(
                "refused", .anyOf([.type(.boolean), refusalCode, .variable]),
                "The hub must refuse the message: true for any refusal, or the IoT Hub error code it must give. Accepting it fails the step. Not on plain brokers."
            ),
        ])
    }()

    /// `publish: { payload, ... }`: a message the device publishes.
    static let publish = VocabularyMapping([
        VocabularyKey("payload", .payload, "The message body."),
        payloadSize,
        VocabularyKey("topic", .string(minLength: 0), "The topic (default: the device's telemetry topic); in MQTT 5.0 empty with a topic_alias property that stands for it."),
        VocabularyKey(
            "properties", .anyOf([.messageProperties, mqttProperties(.publish)]),
            "On a device that speaks MQTT 5.0: PUBLISH properties (topic_alias, response_topic, correlation_data, user, ...); otherwise the IoT Hub message properties of the telemetry topic (name -> value, null for a bare name)."
        ),
        VocabularyKey("qos", .qos, "The QoS (default 0)."),
        VocabularyKey("retain", .flag, "The retain flag (default false)."),
    ])

    /// The metrics of `thresholds:`: every expectation, or those of one subject.
    /// (The MQTT 5.0 subjects `disconnect` and `publish` are packet matchers: `packet_latency`.)
    static var thresholdMetrics: [String] {
        ["latency"] + expectationSubjects.filter { !["disconnect", "publish"].contains($0.name) }.map { "\($0.name)_latency" }
    }

    /// `thresholds: { led_latency: { p99: "< 5ms" } }`.
    private static var thresholds: JSONSchema {
        var bounds = JSONSchema.type(.object)
        bounds.propertyNames = LatencyThreshold.Statistic.allCases.map(\.rawValue)
        bounds.otherProperties = .string(pattern: #"^\s*(<=|>=|<|>)\s*[0-9]"#)
        var metrics = JSONSchema.type(.object)
        metrics.propertyNames = thresholdMetrics
        metrics.otherProperties = bounds
        return metrics
    }
}
