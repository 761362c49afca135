import Foundation
import IoTHubCore
import MQTTCore
import Yams

/// Reads `expect:` mappings: one subject, its qualifiers, and one deadline.
struct ExpectationParser {
    static let subjects = ["connack", "led", "pin", "packet", "telemetry", "disconnected", "reconnected", "queued", "output", "bytes"]
    static let deadlines = ["within", "for"]
    /// Keys that refine a subject, and the subject they belong to.
    static let qualifiers: [String: String] = [
        "value": "pin", "direction": "packet", "topic": "packet", "qos": "packet", "dup": "packet", "retain": "packet",
        "payload": "packet", "properties": "telemetry", "reason": "disconnected", "exact": "bytes",
    ]

    var reader: YAMLReader

    mutating func read(_ value: Node) -> Expectation? {
        guard let entries = reader.mapping(value, "expect", allowed: Self.subjects + Self.deadlines + Self.qualifiers.keys.sorted()) else {
            return nil
        }
        let subjects = entries.items.filter { Self.subjects.contains($0.key) }
        let deadlines = entries.items.filter { Self.deadlines.contains($0.key) }
        guard subjects.count == 1, let (subjectKey, _, subjectNode) = subjects.first else {
            reader.error(
                subjects.isEmpty
                    ? "expect needs one subject: \(Self.subjects.joined(separator: ", "))"
                    : "expect has \(subjects.map(\.key).joined(separator: " and ")); one expect checks one subject",
                at: value
            )
            return nil
        }
        for item in entries.items {
            if let owner = Self.qualifiers[item.key], owner != subjectKey, !(item.key == "payload" && subjectKey == "telemetry") {
                reader.error("'\(item.key)' refines '\(owner)', not '\(subjectKey)'", at: item.keyNode)
            }
        }
        // The subject is read even when the deadline is wrong, so both mistakes are reported.
        guard deadlines.count == 1, let (deadlineKey, deadlineKeyNode, deadlineNode) = deadlines.first else {
            reader.error(
                deadlines.isEmpty
                    ? "expect needs a deadline: 'within' (must happen by then) or 'for' (must hold, or must not happen, that long)"
                    : "expect has both 'within' and 'for'; use one",
                at: value
            )
            _ = readSubject(subjectKey, subjectNode, entries: entries)
            return nil
        }
        let duration = reader.duration(deadlineNode, deadlineKey)
        let subject = readSubject(subjectKey, subjectNode, entries: entries)
        guard let duration, let subject else { return nil }
        let deadline: Expectation.Deadline = deadlineKey == "within" ? .within(duration) : .holdsFor(duration)
        switch (subject, deadline) {
        case (.disconnected(true, _), .holdsFor), (.reconnected(true), .holdsFor):
            reader.error("'\(subjectKey): true' with 'for' is ambiguous; write '\(subjectKey): false, for: ...' for 'does not happen'", at: deadlineKeyNode)
            return nil
        case (.bytes, .holdsFor):
            reader.error("'bytes' takes 'within' (the bytes must arrive by then), not 'for'", at: deadlineKeyNode)
            return nil
        case (.disconnected(false, _), .within), (.reconnected(false), .within):
            reader.error("'\(subjectKey): false' takes 'for' (it must not happen for that long), not 'within'", at: deadlineKeyNode)
            return nil
        default:
            return Expectation(subject: subject, deadline: deadline)
        }
    }

    private mutating func readSubject(_ key: String, _ node: Node, entries: YAMLReader.Entries) -> Expectation.Subject? {
        switch key {
        case "connack":
            guard let text = reader.string(node, "connack") else { return nil }
            guard let code = ConnectReturnCode(name: text) else {
                let names = ConnectReturnCode.allCases.map(\.name)
                reader.error("connack '\(text)' is not a return code\(Suggestions.hint(for: text, in: names)); use one of \(names.joined(separator: ", ")) or 0-5", at: node)
                return nil
            }
            return .connack(code)
        case "led":
            return readOnOff(node, "led").map { .led(isOn: $0) }
        case "pin":
            guard let number = reader.integer(node, "pin", in: 0...1023) else { return nil }
            guard let valueNode = entries["value"] else {
                reader.missing("value", in: entries, "expect pin")
                return nil
            }
            return readOnOff(valueNode, "value").map { .pin(number: number, value: $0) }
        case "packet":
            return readPacket(node, entries: entries).map(Expectation.Subject.packet)
        case "telemetry":
            var matcher = TelemetryMatcher()
            if !reader.isNull(node), let text = reader.string(node, "telemetry"), text != "any" { matcher.payload = text }
            if let properties = entries["properties"] {
                var steps = StepParser(deviceIDs: [], reader: reader)
                matcher.properties = steps.readProperties(properties) ?? PropertyBag()
                reader = steps.reader
            }
            return .telemetry(matcher)
        case "disconnected":
            guard let value = reader.bool(node, "disconnected") else { return nil }
            var reason: DisconnectKind?
            if let reasonNode = entries["reason"], let text = reader.string(reasonNode, "reason") {
                let names = DisconnectKind.allCases.map(\.rawValue)
                reason = DisconnectKind(rawValue: text)
                if reason == nil {
                    reader.error("reason '\(text)' is unknown\(Suggestions.hint(for: text, in: names)); known: \(names.joined(separator: ", "))", at: reasonNode)
                    return nil
                }
            }
            return .disconnected(value, reason: reason)
        case "reconnected":
            return reader.bool(node, "reconnected").map { .reconnected($0) }
        case "queued":
            return reader.integer(node, "queued", in: 0...1_000).map { .queued($0) }
        case "bytes":
            var steps = StepParser(deviceIDs: [], reader: reader)
            let bytes = steps.readHex(node, "bytes")
            reader = steps.reader
            var exact = false
            if let exactNode = entries["exact"] {
                guard let value = reader.bool(exactNode, "exact") else { return nil }
                exact = value
            }
            return bytes.map { Expectation.Subject.bytes($0, exact: exact) }
        case "output":
            guard let text = reader.nonEmptyString(node, "output") else { return nil }
            do {
                return .output(try OutputPattern(text))
            } catch {
                reader.error("output '\(text)' is not a valid regular expression", at: node)
                return nil
            }
        default:
            return nil
        }
    }

    private mutating func readPacket(_ node: Node, entries: YAMLReader.Entries) -> PacketMatcher? {
        guard let text = reader.string(node, "packet") else { return nil }
        guard let type = MQTTPacketType(name: text) else {
            let names = MQTTPacketType.allCases.map(\.name)
            reader.error("packet '\(text)' is not an MQTT packet type\(Suggestions.hint(for: text.uppercased(), in: names)); use one of \(names.joined(separator: ", "))", at: node)
            return nil
        }
        var matcher = PacketMatcher(type: type)
        if let flowNode = entries["direction"], let flowText = reader.string(flowNode, "direction") {
            matcher.flow = PacketFlow(rawValue: flowText)
            if matcher.flow == nil {
                reader.error("direction must be to_hub or to_device, not '\(flowText)'\(Suggestions.hint(for: flowText, in: PacketFlow.allCases.map(\.rawValue)))", at: flowNode)
            }
        }
        if let topicNode = entries["topic"], let topicText = reader.string(topicNode, "topic") {
            do {
                matcher.topic = try TopicFilter(topicText)
            } catch {
                reader.error("topic: \(error)", at: topicNode)
            }
        }
        if let qosNode = entries["qos"] {
            matcher.qos = reader.integer(qosNode, "qos", in: UInt8(0)...UInt8(2)).flatMap(MQTTQoS.init(rawValue:))
        }
        if let dupNode = entries["dup"] { matcher.dup = reader.bool(dupNode, "dup") }
        if let retainNode = entries["retain"] { matcher.retain = reader.bool(retainNode, "retain") }
        if let payloadNode = entries["payload"] { matcher.payload = reader.string(payloadNode, "payload") }
        let topicTypes: Set<MQTTPacketType> = [.publish, .subscribe, .unsubscribe]
        if matcher.topic != nil, !topicTypes.contains(type) {
            reader.error("'topic' applies to PUBLISH, SUBSCRIBE and UNSUBSCRIBE, not \(type)", at: entries["topic"])
        }
        if matcher.dup != nil || matcher.retain != nil || matcher.payload != nil, type != .publish {
            reader.error("'dup', 'retain' and 'payload' apply to PUBLISH only", at: entries["dup"] ?? entries["retain"] ?? entries["payload"])
        }
        return matcher
    }

    private mutating func readOnOff(_ node: Node, _ what: String) -> Bool? {
        guard let text = reader.string(node, what) else { return nil }
        switch text.lowercased() {
        case "on", "true", "1", "high": return true
        case "off", "false", "0", "low": return false
        default:
            reader.error("\(what) must be on or off, not '\(text)'", at: node)
            return nil
        }
    }
}

/// Reads `thresholds: { led_latency: { p99: "< 5ms" } }`.
struct ThresholdParser {
    var reader: YAMLReader

    static var metrics: [String] { ["latency"] + ExpectationParser.subjects.map { "\($0)_latency" } }

    mutating func read(_ node: Node) -> [LatencyThreshold] {
        guard let entries = reader.mapping(node, "thresholds", allowed: Self.metrics) else { return [] }
        var thresholds: [LatencyThreshold] = []
        let statistics = LatencyThreshold.Statistic.allCases.map(\.rawValue)
        for (metric, _, value) in entries.items {
            guard let bounds = reader.mapping(value, metric, allowed: statistics) else { continue }
            for (statisticName, _, boundNode) in bounds.items {
                guard let statistic = LatencyThreshold.Statistic(rawValue: statisticName), let text = reader.string(boundNode, statisticName) else {
                    continue
                }
                guard let (comparison, rest) = Self.splitComparison(text) else {
                    reader.error("\(metric) \(statisticName): write a comparison and a duration, for example \"< 5ms\", not '\(text)'", at: boundNode)
                    continue
                }
                switch ScenarioDuration.parse(rest) {
                case .success(let bound):
                    thresholds.append(LatencyThreshold(metric: metric, statistic: statistic, comparison: comparison, bound: bound))
                case .failure(let failure):
                    reader.error("\(metric) \(statisticName): \(failure)", at: boundNode)
                }
            }
        }
        return thresholds
    }

    static func splitComparison(_ text: String) -> (LatencyThreshold.Comparison, String)? {
        let trimmed = text.trimmingCharacters(in: [" "])
        for comparison in [LatencyThreshold.Comparison.lessOrEqual, .greaterOrEqual, .lessThan, .greaterThan] where trimmed.hasPrefix(comparison.rawValue) {
            return (comparison, String(trimmed.dropFirst(comparison.rawValue.count)).trimmingCharacters(in: [" "]))
        }
        return nil
    }
}
