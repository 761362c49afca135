import IoTHubCore
import MQTTCore
import Yams

/// Reads the `steps:` list: each item is a mapping with exactly one action or `expect`.
enum StepParser {
    static let stepKeys = ["connect", "subscribe", "send", "disconnect", "wait", "expect"]
    static let connectKeys = ["clean_session", "keepalive"]
    static let subscribeKeys = ["topic", "qos"]
    static let sendKeys = ["payload", "properties", "message_id", "correlation_id", "ttl", "ack"]
    static let expectSubjects = ["connack", "led"]
    static let expectDeadlines = ["within", "for"]

    static func readSteps(_ node: Node, device: DeviceSpec?, reader: inout YAMLReader) -> [Step] {
        guard let sequence = node.sequence else {
            reader.error("steps must be a list (each item starting with '- '), not \(reader.describe(node))", at: node)
            return []
        }
        if sequence.isEmpty { reader.error("steps must hold at least one step", at: node) }
        var steps: [Step] = []
        for (index, item) in sequence.enumerated() {
            let number = index + 1
            guard let entries = reader.mapping(item, "step \(number)", allowed: stepKeys) else { continue }
            guard entries.items.count == 1, let (key, keyNode, value) = entries.items.first else {
                if item.mapping?.count == 0 {
                    reader.error("step \(number) is empty; give one of \(stepKeys.joined(separator: ", "))", at: item)
                } else if entries.items.count > 1 {
                    reader.error("step \(number) has \(entries.keys.joined(separator: " and ")); one step does one thing (split it into several list items)", at: item)
                }
                continue
            }
            let location = reader.location(of: keyNode)
            if let kind = readKind(key, value, number: number, reader: &reader) {
                steps.append(Step(number: number, location: location, kind: kind))
            }
        }
        return steps
    }

    private static func readKind(_ key: String, _ value: Node, number: Int, reader: inout YAMLReader) -> Step.Kind? {
        switch key {
        case "connect":
            var cleanSession = true
            var keepAlive: UInt16 = 0
            if !reader.isNull(value) {
                guard let entries = reader.mapping(value, "connect", allowed: connectKeys) else { return nil }
                if let node = entries["clean_session"] { cleanSession = reader.bool(node, "clean_session") ?? cleanSession }
                if let node = entries["keepalive"] { keepAlive = reader.integer(node, "keepalive", in: UInt16.min...UInt16.max) ?? keepAlive }
            }
            return .connect(cleanSession: cleanSession, keepAlive: keepAlive)
        case "subscribe":
            var topicNode = value
            var qos = MQTTQoS.atMostOnce
            if value.mapping != nil {
                guard let entries = reader.mapping(value, "subscribe", allowed: subscribeKeys) else { return nil }
                guard let node = entries["topic"] else {
                    reader.missing("topic", in: entries, "subscribe")
                    return nil
                }
                topicNode = node
                if let node = entries["qos"], let level = reader.integer(node, "qos", in: UInt8(0)...UInt8(2)) {
                    qos = MQTTQoS(rawValue: level) ?? .atMostOnce
                }
            }
            guard let text = reader.string(topicNode, "subscribe topic") else { return nil }
            do {
                return .subscribe(try TopicFilter(text), qos: qos)
            } catch {
                reader.error("subscribe topic: \(error)", at: topicNode)
                return nil
            }
        case "send":
            return readSend(value, reader: &reader).map(Step.Kind.send)
        case "disconnect":
            if !reader.isNull(value), reader.mapping(value, "disconnect", allowed: [])?.items.isEmpty != true {
                return nil
            }
            return .disconnect
        case "wait":
            return reader.duration(value, "wait").map(Step.Kind.wait)
        case "expect":
            return readExpectation(value, number: number, reader: &reader).map(Step.Kind.expect)
        default:
            return nil
        }
    }

    private static func readSend(_ value: Node, reader: inout YAMLReader) -> CloudToDeviceSpec? {
        if value.scalar != nil {
            return reader.string(value, "send payload").map { CloudToDeviceSpec(payload: $0) }
        }
        guard let entries = reader.mapping(value, "send", allowed: sendKeys) else { return nil }
        guard let payloadNode = entries["payload"] else {
            reader.missing("payload", in: entries, "send")
            return nil
        }
        guard let payload = reader.string(payloadNode, "send payload") else { return nil }
        var spec = CloudToDeviceSpec(payload: payload)
        if let node = entries["properties"] {
            if let mapping = node.mapping {
                var bag = PropertyBag()
                for (keyNode, valueNode) in mapping {
                    guard let name = reader.nonEmptyString(keyNode, "property name") else { continue }
                    bag.append(name, reader.isNull(valueNode) ? nil : reader.string(valueNode, "property '\(name)'"))
                }
                spec.properties = bag
            } else {
                reader.error("properties must be a mapping of names to values, not \(reader.describe(node))", at: node)
            }
        }
        if let node = entries["message_id"] { spec.messageID = reader.nonEmptyString(node, "message_id") }
        if let node = entries["correlation_id"] { spec.correlationID = reader.nonEmptyString(node, "correlation_id") }
        if let node = entries["ttl"], let ttl = reader.duration(node, "ttl") {
            if ttl < .seconds(60) || ttl > .seconds(2 * 86_400) {
                reader.error("ttl must be from 1m to 2d, as on IoT Hub", at: node)
            } else {
                spec.timeToLive = ttl
            }
        }
        if let node = entries["ack"], let text = reader.string(node, "ack") {
            let allowed = ["none", "positive", "negative", "full"]
            if allowed.contains(text) {
                spec.acknowledgement = text
            } else {
                reader.error("ack must be one of \(allowed.joined(separator: ", ")), not '\(text)'\(Suggestions.hint(for: text, in: allowed))", at: node)
            }
        }
        return spec
    }

    private static func readExpectation(_ value: Node, number: Int, reader: inout YAMLReader) -> Expectation? {
        guard let entries = reader.mapping(value, "expect", allowed: expectSubjects + expectDeadlines) else { return nil }
        let subjects = entries.items.filter { expectSubjects.contains($0.key) }
        let deadlines = entries.items.filter { expectDeadlines.contains($0.key) }
        guard subjects.count == 1, let (subjectKey, _, subjectNode) = subjects.first else {
            reader.error(
                subjects.isEmpty
                    ? "expect needs one subject: \(expectSubjects.joined(separator: " or "))"
                    : "expect has \(subjects.map(\.key).joined(separator: " and ")); one expect checks one subject",
                at: value
            )
            return nil
        }
        guard deadlines.count == 1, let (deadlineKey, _, deadlineNode) = deadlines.first else {
            reader.error(
                deadlines.isEmpty
                    ? "expect needs a deadline: 'within' (must happen by then) or 'for' (must hold that long)"
                    : "expect has both 'within' and 'for'; use one",
                at: value
            )
            return nil
        }
        guard let duration = reader.duration(deadlineNode, deadlineKey) else { return nil }
        let deadline: Expectation.Deadline = deadlineKey == "within" ? .within(duration) : .holdsFor(duration)
        let subject: Expectation.Subject
        switch subjectKey {
        case "connack":
            guard let text = reader.string(subjectNode, "connack") else { return nil }
            guard let code = ConnectReturnCode(name: text) else {
                let names = ConnectReturnCode.allCases.map(\.name)
                reader.error("connack '\(text)' is not a return code\(Suggestions.hint(for: text, in: names)); use one of \(names.joined(separator: ", ")) or 0-5", at: subjectNode)
                return nil
            }
            guard case .within = deadline else {
                reader.error("expect connack takes 'within', not 'for': a CONNACK is an event, not a state", at: deadlineNode)
                return nil
            }
            subject = .connack(code)
        default:
            guard let isOn = readLEDState(subjectNode, reader: &reader) else { return nil }
            subject = .led(isOn: isOn)
        }
        return Expectation(subject: subject, deadline: deadline)
    }

    private static func readLEDState(_ node: Node, reader: inout YAMLReader) -> Bool? {
        guard let text = reader.string(node, "led") else { return nil }
        switch text.lowercased() {
        case "on", "true", "1": return true
        case "off", "false", "0": return false
        default:
            reader.error("led must be on or off, not '\(text)'", at: node)
            return nil
        }
    }
}
