import Foundation
import IoTHubCore
import MQTTCore
import Yams

/// Reads `expect:` mappings: one subject, its qualifiers, and one deadline.
struct ExpectationParser {
    static let subjects = Vocabulary.expectationSubjects.map(\.name)
    static let deadlines = Vocabulary.deadlines.map(\.name)
    /// Keys that refine a subject, and the subjects they refine.
    static let qualifiers = Dictionary(uniqueKeysWithValues: Vocabulary.expectationQualifiers.map { ($0.name, $0.forms) })

    var reader: YAMLReader
    /// The MQTT 5.0 keys read, with where: the step parser checks them against the device.
    var versionUses: [(key: String, location: SourceLocation)] = []
    /// Set when a subject said `all` (`reconnected: all`): the expectation concerns every
    /// device of a fleet.
    private var subjectSaysAll = false

    init(reader: YAMLReader) {
        self.reader = reader
    }

    mutating func read(_ value: Node) -> Expectation? {
        subjectSaysAll = false
        guard let entries = reader.mapping(value, "expect", keys: Vocabulary.expectation) else {
            return nil
        }
        let deadlines = entries.items.filter { Self.deadlines.contains($0.key) }
        let subject: Expectation.Subject?
        let subjectKey: String
        if let oneOfNode = entries["one_of"] {
            subjectKey = "one_of"
            for item in entries.items where Self.subjects.contains(item.key) || Self.qualifiers[item.key] != nil {
                reader.error("'\(item.key)' goes inside a branch of 'one_of', not beside it", at: item.keyNode)
            }
            subject = readOneOf(oneOfNode)
        } else {
            guard let (key, read) = readSubjectEntries(entries, value, what: "expect") else { return nil }
            subjectKey = key
            subject = read
        }
        // The subject is read even when the deadline is wrong, so both mistakes are reported.
        guard deadlines.count == 1, let (deadlineKey, deadlineKeyNode, deadlineNode) = deadlines.first else {
            reader.error(
                deadlines.isEmpty
                    ? "expect needs a deadline: 'within' (must happen by then) or 'for' (must hold, or must not happen, that long)"
                    : "expect has both 'within' and 'for'; use one",
                at: value
            )
            return nil
        }
        let duration = reader.duration(deadlineNode, deadlineKey)
        var after: StepNumber?
        if let afterNode = entries["after"], let number = reader.integer(afterNode, "after", in: 1...100_000) {
            after = StepNumber(number)
            if deadlineKey != "within" {
                reader.error("'after' orders observations, so it takes 'within', not 'for'", at: afterNode)
            }
        }
        var quorum: DeviceQuorum? = subjectSaysAll ? .all : nil
        if let node = entries["devices"] {
            guard let read = readQuorum(node) else { return nil }
            if subjectSaysAll, read != .all {
                reader.error("the subject says 'all' and 'devices' says \(read); give one of them", at: node)
                return nil
            }
            quorum = read
        }
        guard let duration, let subject else { return nil }
        let deadline: Expectation.Deadline = deadlineKey == "within" ? .within(duration) : .holdsFor(duration)
        switch (subject, deadline) {
        case (.disconnected(true, _), .holdsFor), (.reconnected(true), .holdsFor):
            reader.error("'\(subjectKey): true' with 'for' is ambiguous; write '\(subjectKey): false, for: ...' for 'does not happen'", at: deadlineKeyNode)
            return nil
        case (.bytes, .holdsFor):
            reader.error("'bytes' takes 'within' (the bytes must arrive by then), not 'for'", at: deadlineKeyNode)
            return nil
        case (.delivered, .holdsFor):
            reader.error("'delivered' takes 'within' (every message must have arrived by then), not 'for'", at: deadlineKeyNode)
            return nil
        case (.oneOf, .holdsFor):
            reader.error("'one_of' takes 'within' (one of the branches must be observed by then), not 'for'", at: deadlineKeyNode)
            return nil
        case (.disconnected(false, _), .within), (.reconnected(false), .within):
            reader.error("'\(subjectKey): false' takes 'for' (it must not happen for that long), not 'within'", at: deadlineKeyNode)
            return nil
        default:
            if after != nil {
                for leaf in subject.leaves {
                    switch leaf {
                    case .bytes, .queued, .led, .pin:
                        reader.error("'after' orders events; '\(leaf.name)' is read as a stream or a state, so it cannot take 'after'", at: entries["after"])
                        return nil
                    default:
                        break
                    }
                }
            }
            var expectation = Expectation(subject: subject, deadline: deadline, after: after)
            expectation.quorum = quorum
            return expectation
        }
    }

    /// `devices: all | N | N%`.
    private mutating func readQuorum(_ node: Node) -> DeviceQuorum? {
        guard let text = reader.string(node, "devices") else { return nil }
        if text == "all" { return .all }
        if text.hasSuffix("%"), let percent = Double(text.dropLast()), percent > 0, percent <= 100 {
            return .percent(percent)
        }
        if let count = Int(text), count >= 1 { return .count(count) }
        reader.error("devices takes 'all', a number of devices (1 or more) or a percentage above 0 and up to 100 such as '99%', not '\(text)'", at: node)
        return nil
    }

    /// The one subject of a mapping and its qualifiers (an `expect`, or a `one_of` branch).
    private mutating func readSubjectEntries(_ entries: YAMLReader.Entries, _ node: Node, what: String) -> (String, Expectation.Subject?)? {
        let subjects = entries.items.filter { Self.subjects.contains($0.key) }
        guard subjects.count == 1, let (subjectKey, _, subjectNode) = subjects.first else {
            reader.error(
                subjects.isEmpty
                    ? "\(what) needs one subject: \(Self.subjects.joined(separator: ", "))"
                    : "\(what) has \(subjects.map(\.key).joined(separator: " and ")); one expect checks one subject (give several in 'one_of' when the peer may do either)",
                at: node
            )
            return nil
        }
        for item in entries.items {
            if let owners = Self.qualifiers[item.key], !owners.contains(subjectKey) {
                reader.error("'\(item.key)' refines '\(owners.joined(separator: "' or '"))', not '\(subjectKey)'", at: item.keyNode)
            }
        }
        let keyNode = subjects.first?.keyNode
        return (subjectKey, readSubject(subjectKey, subjectNode, entries: entries, keyNode: keyNode))
    }

    /// `one_of: [ { subject... , not_applicable: "why" }, ..., { not_applicable: "why" } ]`.
    private mutating func readOneOf(_ node: Node) -> Expectation.Subject? {
        guard let sequence = node.sequence, sequence.count >= 2 else {
            reader.error("one_of must be a list of at least two branches, each a subject with its qualifiers (and 'not_applicable: reason' where that branch means the step does not apply)", at: node)
            return nil
        }
        var alternatives: [Expectation.Alternative] = []
        var failed = false
        for (index, item) in sequence.enumerated() {
            guard let entries = reader.mapping(item, "one_of branch", keys: Vocabulary.expectationBranch) else {
                failed = true
                continue
            }
            var reason: String?
            if let reasonNode = entries["not_applicable"] { reason = reader.nonEmptyString(reasonNode, "not_applicable") }
            if entries.items.count == 1, reason != nil {
                // The branch taken when no other branch holds: it must be the last one.
                if index != sequence.count - 1 {
                    reader.error("a branch with only 'not_applicable' is taken when no other branch holds, so it must be the last", at: item)
                    failed = true
                }
                alternatives.append(Expectation.Alternative(subject: nil, notApplicable: reason))
                continue
            }
            guard let (_, subject) = readSubjectEntries(entries, item, what: "a one_of branch"), let subject else {
                failed = true
                continue
            }
            if subject.isState || { if case .disconnected(false, _) = subject { true } else if case .reconnected(false) = subject { true } else { false } }() {
                reader.error("a one_of branch is an event that is observed (\(subject.name) describes a state or an absence)", at: item)
                failed = true
            }
            alternatives.append(Expectation.Alternative(subject: subject, notApplicable: reason))
        }
        return failed ? nil : .oneOf(alternatives)
    }

    private mutating func readSubject(_ key: String, _ node: Node, entries: YAMLReader.Entries, keyNode: Node?) -> Expectation.Subject? {
        switch key {
        case "connack":
            if node.mapping != nil { return readConnAckMatcher(node).map(Expectation.Subject.packet) }
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
        case "disconnect":
            return readServerDisconnect(node, keyNode: keyNode).map(Expectation.Subject.packet)
        case "publish":
            return readPublishMatcher(node).map(Expectation.Subject.packet)
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
            let value: Bool
            if node.scalar?.string == "all" {
                subjectSaysAll = true
                value = true
            } else {
                guard let read = reader.bool(node, "disconnected") else { return nil }
                value = read
            }
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
            if node.scalar?.string == "all" {
                subjectSaysAll = true
                return .reconnected(true)
            }
            return reader.bool(node, "reconnected").map { .reconnected($0) }
        case "delivered":
            guard let text = reader.string(node, "delivered") else { return nil }
            guard text == "all" else {
                reader.error("delivered takes 'all' (every C2D message sent to the device so far), not '\(text)'", at: node)
                return nil
            }
            var duplicates = false
            if let duplicatesNode = entries["duplicates"] {
                guard let value = reader.bool(duplicatesNode, "duplicates") else { return nil }
                duplicates = value
            }
            return .delivered(duplicates: duplicates)
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
        case "provisioned":
            return readProvisioned(node, entries: entries).map(Expectation.Subject.provisioned)
        default:
            reader.error("internal error: the vocabulary's subject '\(key)' has no reader", at: node)
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
        if let publishedNode = entries["published_qos"] {
            matcher.publishedQoS = reader.integer(publishedNode, "published_qos", in: UInt8(0)...UInt8(2)).flatMap(MQTTQoS.init(rawValue:))
            if entries["qos"] != nil {
                reader.error("give 'qos' (the exact delivery QoS) or 'published_qos' (the delivery QoS is the minimum of it and the granted QoS), not both", at: publishedNode)
            }
            if type != .publish {
                reader.error("'published_qos' applies to PUBLISH only", at: publishedNode)
            }
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
        guard readPacketMQTT5(entries, into: &matcher) else { return nil }
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

    static var metrics: [String] { Vocabulary.thresholdMetrics }

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
