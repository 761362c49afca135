import MQTTCore

/// The MQTT 5.0 words of the language: a device's `protocol`, properties (their names and
/// where each is allowed come from MQTTCore, the one table the codec checks too), reason
/// codes, and the mappings of the 5.0 expectations.
extension Vocabulary {
    /// `protocol: 5` on a device.
    static let protocolKey = VocabularyKey(
        "protocol", .anyOf([.oneOf([4, 5]), .oneOf(["4", "5", "3.1.1", "5.0"]), .type(.number), .variable]),
        "The MQTT version the device speaks: 5 (or \"5.0\") or 4 (\"3.1.1\", the default). Only kind client speaks 5.0; MQTT 5.0 keys on a 3.1.1 device are errors."
    )

    /// A reason code `packet` may carry: a reference to its definition
    /// (``reasonCodeDefinitions``).
    static func reasonCode(in packet: MQTTPacketType) -> JSONSchema {
        .reference("mqtt5ReasonCode-" + packet.name.lowercased())
    }

    /// Any reason code, for a matcher whose packet type the schema cannot see.
    static let anyReasonCode = JSONSchema.reference("mqtt5ReasonCode")

    /// A reason code: a name as MQTT 5.0 gives it in the packet (`not_authorized`), or a
    /// number 0-255 (`135`, `0x87`); by packet, and of any packet.
    static var reasonCodeDefinitions: [JSONSchema.Member] {
        func codes(_ names: [String]) -> JSONSchema {
            JSONSchema.anyOf([.oneOf(names), .integer(minimum: 0, maximum: 255), .string(pattern: "^0[xX][0-9a-fA-F]{1,2}$"), .variable])
                .described("An MQTT 5.0 reason code: its name or a number 0-255 (0x87).")
        }
        let packets: [MQTTPacketType] = [.connack, .disconnect]
        return packets.map { packet in
            JSONSchema.Member(name: "mqtt5ReasonCode-" + packet.name.lowercased(), schema: codes(MQTTReasonCode.allowed(in: packet).map { $0.name(in: packet) }))
        } + [JSONSchema.Member(name: "mqtt5ReasonCode", schema: codes(MQTTReasonCode.allCases.map(\.name) + ["normal_disconnection", "granted_qos_0"]))]
    }

    /// `properties: { ... }` as `context` allows them: a reference to the schema's definition
    /// of them (``mqttPropertyDefinitions``).
    static func mqttProperties(_ context: MQTTPropertyContext) -> JSONSchema {
        .reference(definitionName(context))
    }

    /// Properties of any packet, for a `packet:` matcher.
    static let anyMQTTProperties = JSONSchema.reference("mqtt5Properties")

    /// The definition name of `context`'s properties: `mqtt5Properties-connect`.
    private static func definitionName(_ context: MQTTPropertyContext) -> String {
        "mqtt5Properties-" + (context == .will ? "will" : context.packetType.name.lowercased())
    }

    /// The schema's definitions of the properties of each context (names and value types
    /// from MQTTCore's table), of any packet, and of User Properties.
    static var mqttPropertyDefinitions: [JSONSchema.Member] {
        let contexts: [MQTTPropertyContext] = [.connect, .will, .connack, .publish, .puback, .subscribe, .suback, .unsubscribe, .unsuback, .disconnect, .auth]
        var members = contexts.map { context in
            JSONSchema.Member(name: definitionName(context), schema: propertiesObject(context.identifiers).described("MQTT 5.0 \(context): name -> value; user: { name: value }."))
        }
        members.append(JSONSchema.Member(name: "mqtt5Properties", schema: propertiesObject(MQTTPropertyIdentifier.allCases).described("MQTT 5.0 properties of any packet.")))
        members.append(JSONSchema.Member(name: "mqtt5UserProperties", schema: userPropertiesSchema))
        return members
    }

    private static func propertiesObject(_ identifiers: [MQTTPropertyIdentifier]) -> JSONSchema {
        var members: [JSONSchema.Member] = []
        for identifier in identifiers {
            if identifier == .userProperty {
                members.append(JSONSchema.Member(name: "user", schema: userProperties))
                members.append(JSONSchema.Member(name: "user_property", schema: userProperties))
            } else {
                members.append(JSONSchema.Member(name: identifier.name, schema: propertyValue(identifier)))
            }
        }
        return .object(members)
    }

    private static let userProperties = JSONSchema.reference("mqtt5UserProperties")

    /// `user: { k: v }`, or a list of such mappings when a name repeats.
    private static let userPropertiesSchema = JSONSchema.anyOf([
        .map(of: .type(.string, .number, .boolean)),
        .list(of: .map(of: .type(.string, .number, .boolean)), minItems: 1),
    ]).described("User Properties: name -> value, or a list of { name: value } when a name repeats.")

    /// The value a property takes, by its data type and range.
    private static func propertyValue(_ identifier: MQTTPropertyIdentifier) -> JSONSchema {
        let schema: JSONSchema
        switch identifier.valueType {
        case .byte: schema = .wholeNumber(minimum: 0, maximum: 1)
        case .twoByteInteger: schema = .wholeNumber(minimum: identifier == .receiveMaximum || identifier == .topicAlias ? 1 : 0, maximum: 65_535)
        case .fourByteInteger: schema = .wholeNumber(minimum: identifier == .maximumPacketSize ? 1 : 0, maximum: 4_294_967_295)
        case .variableByteInteger: schema = .wholeNumber(minimum: 1, maximum: 268_435_455)
        case .utf8String: schema = .anyOf([.type(.string, .number, .boolean)])
        case .binaryData:
            schema = .anyOf([.type(.string, .number), .object([JSONSchema.Member(name: "hex", schema: .reference("hex"))], required: ["hex"])])
        case .utf8StringPair: schema = userProperties
        }
        return schema.described("\(identifier.valueType) (MQTT 5.0 property \(identifier)).")
    }

    /// `connack: { reason, session_present, properties }`.
    static let connackExpectation = VocabularyMapping([
        VocabularyKey("reason", reasonCode(in: .connack), "MQTT 5.0: the CONNACK's reason code, by name or number."),
        VocabularyKey("session_present", .flag, "The Session Present flag."),
        VocabularyKey("properties", mqttProperties(.connack), "MQTT 5.0: CONNACK properties it carries at least."),
    ])

    /// `disconnect: { reason, properties }`: a DISCONNECT from the broker.
    static let disconnectExpectation = VocabularyMapping([
        VocabularyKey("reason", reasonCode(in: .disconnect), "The DISCONNECT's reason code, by name or number."),
        VocabularyKey("properties", mqttProperties(.disconnect), "DISCONNECT properties it carries at least."),
    ])

    /// `publish: { topic, payload, qos, retain, properties }`: a PUBLISH to the device.
    static let publishExpectation = VocabularyMapping([
        VocabularyKey("topic", .string(minLength: 1), "A filter the topic matches."),
        VocabularyKey("payload", .payload, "The exact payload."),
        VocabularyKey("qos", .qos, "The delivery QoS."),
        VocabularyKey("retain", .flag, "The RETAIN flag."),
        VocabularyKey("properties", mqttProperties(.publish), "MQTT 5.0: PUBLISH properties it carries at least (subscription_identifier: one of its identifiers)."),
    ])

    /// `disconnect: { reason, properties }` as a step.
    static let disconnect = VocabularyMapping([
        VocabularyKey("reason", reasonCode(in: .disconnect), "MQTT 5.0: the DISCONNECT's reason code (default normal_disconnection)."),
        VocabularyKey("properties", mqttProperties(.disconnect), "MQTT 5.0: DISCONNECT properties."),
    ])
}
