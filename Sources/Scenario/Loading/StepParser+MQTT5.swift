import IoTHubCore
import MQTTCore
import Yams

/// An MQTT 5.0 key read in an expectation, with the device the step concerns: checked once
/// every step is read, since a `kind: client` that sends raw bytes speaks the version of its
/// own raw CONNECT.
struct ExpectationVersionUse {
    var device: DeviceID?
    var fleet: String?
    var key: String
    var location: SourceLocation
}

/// The steps whose settings differ between MQTT 3.1.1 and 5.0: connect, subscribe,
/// unsubscribe and disconnect, with the check that a 3.1.1 device is given no 5.0 key.
extension StepParser {
    /// Whether the device (or fleet) of the step being read speaks MQTT 5.0.
    var speaksMQTT5: Bool { speaksMQTT5(device: currentDevice, fleet: currentFleet) }

    /// Whether `device`, or the members of `fleet`, speak MQTT 5.0.
    func speaksMQTT5(device: DeviceID?, fleet: String?) -> Bool {
        if let device { return protocols[device] == .v5 }
        guard let fleet else { return false }
        return fleets.first { $0.name == fleet }?.template.protocolVersion == .v5
    }

    /// The node of `key` itself in `entries` (errors about a key point at it, not its value).
    static func keyNode(_ key: String, in entries: YAMLReader.Entries) -> Node? {
        entries.items.first { $0.key == key }?.keyNode
    }

    /// Reports `key` (at `node`) when the step's device speaks MQTT 3.1.1.
    /// - Returns: whether the key may be used.
    mutating func allowsMQTT5Key(_ key: String, at node: Node?) -> Bool {
        if speaksMQTT5 { return true }
        reader.error(Self.mqtt311Problem(key, device: currentDevice, fleet: currentFleet), at: node)
        return false
    }

    /// Why an MQTT 5.0 key does not fit a 3.1.1 device or fleet.
    static func mqtt311Problem(_ key: String, device: DeviceID?, fleet: String?) -> String {
        if let device {
            return "'\(key)' is MQTT 5.0, and device '\(device)' speaks MQTT 3.1.1; give the device protocol: 5 (kind client)"
        }
        if let fleet {
            return "'\(key)' is MQTT 5.0, and fleet '\(fleet)' speaks MQTT 3.1.1; give the fleet protocol: 5 (kind client)"
        }
        return "'\(key)' is MQTT 5.0; give it to a step of a device with protocol: 5 (kind client)"
    }

    /// `connect: { clean_session | clean_start, keepalive, properties }`.
    mutating func readConnect(_ value: Node) -> Step.Kind? {
        var cleanSession = true
        var keepAlive: UInt16 = 0
        var properties = MQTTProperties.none
        if !reader.isNull(value) {
            guard let options = reader.mapping(value, "connect", keys: Vocabulary.connect) else { return nil }
            if let node = options["clean_session"] { cleanSession = reader.bool(node, "clean_session") ?? cleanSession }
            if let node = options["clean_start"], allowsMQTT5Key("clean_start", at: Self.keyNode("clean_start", in: options)) {
                if options["clean_session"] != nil {
                    reader.error("give 'clean_start' or 'clean_session' (the same flag), not both", at: Self.keyNode("clean_start", in: options))
                }
                cleanSession = reader.bool(node, "clean_start") ?? cleanSession
            }
            if let node = options["keepalive"] { keepAlive = reader.integer(node, "keepalive", in: UInt16.min...UInt16.max) ?? keepAlive }
            if let node = options["properties"], allowsMQTT5Key("properties", at: Self.keyNode("properties", in: options)) {
                var values = MQTT5ValueParser(reader: reader)
                properties = values.encodedProperties(node, in: .connect) ?? .none
                reader = values.reader
                if properties.first(.authenticationData) != nil, properties.first(.authenticationMethod) == nil {
                    reader.error("authentication_data needs authentication_method: a CONNECT with data and no method is a Protocol Error (MQTT 5.0 section 3.1.2.11.10); send it with send_bytes to test a broker", at: node)
                }
            }
        }
        return .connect(cleanSession: cleanSession, keepAlive: keepAlive, properties: properties)
    }

    /// `subscribe: topic` or `{ topic, qos, no_local, retain_as_published, retain_handling,
    /// properties }`; `unsubscribe: topic` or `{ topic, properties }`.
    mutating func readSubscription(_ key: String, _ value: Node) -> Step.Kind? {
        var topicNode = value
        var qos = MQTTQoS.atMostOnce
        var options = SubscribeOptions()
        if value.mapping != nil {
            guard let entries = reader.mapping(value, key, keys: key == "subscribe" ? Vocabulary.subscribe : Vocabulary.unsubscribe) else { return nil }
            guard let node = entries["topic"] else {
                reader.missing("topic", in: entries, key)
                return nil
            }
            topicNode = node
            if let node = entries["qos"] { qos = readQoS(node) ?? qos }
            if let node = entries["no_local"], allowsMQTT5Key("no_local", at: Self.keyNode("no_local", in: entries)) { options.noLocal = reader.bool(node, "no_local") ?? false }
            if let node = entries["retain_as_published"], allowsMQTT5Key("retain_as_published", at: Self.keyNode("retain_as_published", in: entries)) {
                options.retainAsPublished = reader.bool(node, "retain_as_published") ?? false
            }
            if let node = entries["retain_handling"], allowsMQTT5Key("retain_handling", at: Self.keyNode("retain_handling", in: entries)) {
                let value = reader.integer(node, "retain_handling", in: UInt8(0)...UInt8(2))
                options.retainHandling = value.flatMap(SubscribePacket.RetainHandling.init(rawValue:)) ?? .sendOnSubscribe
            }
            if let node = entries["properties"], allowsMQTT5Key("properties", at: Self.keyNode("properties", in: entries)) {
                var values = MQTT5ValueParser(reader: reader)
                options.properties = values.encodedProperties(node, in: key == "subscribe" ? .subscribe : .unsubscribe) ?? .none
                reader = values.reader
            }
        }
        guard let text = reader.string(topicNode, "\(key) topic") else { return nil }
        do {
            let filter = try TopicFilter(text)
            return key == "subscribe" ? .subscribe(filter, qos: qos, options: options) : .unsubscribe(filter, properties: options.properties)
        } catch {
            reader.error("\(key) topic: \(error)", at: topicNode)
            return nil
        }
    }

    /// `disconnect: {}` or, in MQTT 5.0, `{ reason, properties }`.
    mutating func readDisconnect(_ value: Node) -> Step.Kind? {
        if reader.isNull(value) { return .disconnect() }
        guard let entries = reader.mapping(value, "disconnect", keys: Vocabulary.disconnect) else { return nil }
        var spec = DisconnectSpec()
        var failed = false
        for (key, keyNode, node) in entries.items {
            guard allowsMQTT5Key(key, at: keyNode) else {
                failed = true
                continue
            }
            var values = MQTT5ValueParser(reader: reader)
            if key == "reason" {
                if let code = values.reason(node, in: .disconnect) { spec.reason = code } else { failed = true }
            } else if let properties = values.encodedProperties(node, in: .disconnect) {
                spec.properties = properties
            } else {
                failed = true
            }
            reader = values.reader
        }
        return failed ? nil : .disconnect(spec)
    }
}

extension StepParser {
    /// Reports each MQTT 5.0 key of an expectation about a device that speaks 3.1.1, unless
    /// the device sends raw bytes (`send_bytes`): its raw CONNECT then says which version the
    /// connection speaks, and the record decodes it so.
    mutating func checkExpectationVersions(_ steps: [Step]) {
        let raw = Self.rawSenders(steps)
        for use in expectationVersionUses {
            if speaksMQTT5(device: use.device, fleet: use.fleet) { continue }
            if let device = use.device, raw.contains(device) { continue }
            reader.error(Self.mqtt311Problem(use.key, device: use.device, fleet: use.fleet), at: use.location)
        }
    }

    /// The devices with a `send_bytes` step, in blocks too.
    static func rawSenders(_ steps: [Step]) -> Set<DeviceID> {
        var devices: Set<DeviceID> = []
        for step in steps {
            switch step.kind {
            case .sendBytes: if let device = step.device { devices.insert(device) }
            case .repeatBlock(let block): devices.formUnion(rawSenders(block.steps))
            case .chaos(let block): devices.formUnion(rawSenders(block.steps))
            default: break
            }
        }
        return devices
    }
}
