import MQTTCore
import Yams

/// The MQTT 5.0 expectations: `connack: { reason, session_present, properties }`,
/// `disconnect: { reason, properties }` (a DISCONNECT from the broker), `publish: { topic,
/// payload, qos, retain, properties }` (a PUBLISH to the device), and `reason`, `reasons` and
/// `properties` on a `packet` matcher. Each becomes a ``PacketMatcher``, so one matcher
/// decides every packet expectation.
extension ExpectationParser {
    /// `connack: { reason, session_present, properties }`: the CONNACK the device receives.
    mutating func readConnAckMatcher(_ node: Node) -> PacketMatcher? {
        guard let entries = reader.mapping(node, "connack", keys: Vocabulary.connackExpectation) else { return nil }
        var matcher = PacketMatcher(type: .connack, flow: .toDevice)
        if let valueNode = entries["session_present"] {
            guard let value = reader.bool(valueNode, "session_present") else { return nil }
            matcher.sessionPresent = value
        }
        return readReasonAndProperties(entries, into: matcher)
    }

    /// `disconnect: { reason, properties }` (or `disconnect: reason`, or `{}` for any): a
    /// DISCONNECT the broker sends the device, which only MQTT 5.0 has.
    mutating func readServerDisconnect(_ node: Node, keyNode: Node?) -> PacketMatcher? {
        noteMQTT5("disconnect", at: keyNode ?? node)
        let matcher = PacketMatcher(type: .disconnect, flow: .toDevice)
        if reader.isNull(node) { return matcher }
        if node.scalar != nil {
            var values = MQTT5ValueParser(reader: reader)
            let code = values.reason(node, in: .disconnect)
            reader = values.reader
            guard let code else { return nil }
            var reasoned = matcher
            reasoned.reason = code
            return reasoned
        }
        guard let entries = reader.mapping(node, "disconnect", keys: Vocabulary.disconnectExpectation) else { return nil }
        return readReasonAndProperties(entries, into: matcher)
    }

    /// `publish: { topic, payload, qos, retain, properties }`: a PUBLISH the device receives.
    mutating func readPublishMatcher(_ node: Node) -> PacketMatcher? {
        var matcher = PacketMatcher(type: .publish, flow: .toDevice)
        if reader.isNull(node) { return matcher }
        guard let entries = reader.mapping(node, "publish", keys: Vocabulary.publishExpectation) else { return nil }
        if let topicNode = entries["topic"], let text = reader.string(topicNode, "topic") {
            do {
                matcher.topic = try TopicFilter(text)
            } catch {
                reader.error("topic: \(error)", at: topicNode)
                return nil
            }
        }
        if let payloadNode = entries["payload"] { matcher.payload = reader.string(payloadNode, "payload") }
        if let qosNode = entries["qos"] {
            matcher.qos = reader.integer(qosNode, "qos", in: UInt8(0)...UInt8(2)).flatMap(MQTTQoS.init(rawValue:))
        }
        if let retainNode = entries["retain"] { matcher.retain = reader.bool(retainNode, "retain") }
        return readReasonAndProperties(entries, into: matcher)
    }

    /// `reason`, `reasons` and `properties` beside `packet:`.
    mutating func readPacketMQTT5(_ entries: YAMLReader.Entries, into matcher: inout PacketMatcher) -> Bool {
        guard let read = readReasonAndProperties(entries, into: matcher) else { return false }
        matcher = read
        return true
    }

    /// Reads whichever of `reason`, `reasons` and `properties` `entries` has, for the
    /// matcher's packet type.
    private mutating func readReasonAndProperties(_ entries: YAMLReader.Entries, into matcher: PacketMatcher) -> PacketMatcher? {
        var matcher = matcher
        var failed = false
        let type = matcher.type
        let listed = [MQTTPacketType.suback, .unsuback].contains(type)
        var values = MQTT5ValueParser(reader: reader)
        defer { reader = values.reader }
        for (key, keyNode, node) in entries.items where ["reason", "reasons", "properties"].contains(key) {
            // Only a location is read from the reader here; the values' parser holds its state.
            noteMQTT5(key, at: keyNode)
            switch key {
            case "reason":
                guard !MQTTReasonCode.allowed(in: type).isEmpty else {
                    values.reader.error("\(type) carries no reason code", at: keyNode)
                    failed = true
                    continue
                }
                if let code = values.reason(node, in: type) { matcher.reason = code } else { failed = true }
            case "reasons":
                guard listed else {
                    values.reader.error("'reasons' (one per topic filter) is for SUBACK and UNSUBACK; \(type) takes 'reason'", at: keyNode)
                    failed = true
                    continue
                }
                guard let sequence = node.sequence, !sequence.isEmpty, sequence.count <= 1_000 else {
                    values.reader.error("reasons must be a list of 1 to 1000 reason codes, one per topic filter, for example [granted_qos_1, 0x80]", at: node)
                    failed = true
                    continue
                }
                let codes = sequence.compactMap { values.reason($0, in: type) }
                if codes.count == sequence.count { matcher.reasons = codes } else { failed = true }
            default:
                guard let context = MQTTPropertyContext(type) else {
                    values.reader.error("\(type) carries no properties", at: keyNode)
                    failed = true
                    continue
                }
                if let properties = values.properties(node, in: context, sentByDevice: false) { matcher.properties = PropertyMatch(properties) } else { failed = true }
            }
        }
        if matcher.reason != nil, matcher.reasons != nil {
            values.reader.error("give 'reason' (every code) or 'reasons' (one per topic filter), not both", at: entries["reasons"])
            failed = true
        }
        return failed ? nil : matcher
    }

    /// Notes an MQTT 5.0 key for the check against the device's version.
    mutating func noteMQTT5(_ key: String, at node: Node) {
        versionUses.append((key, reader.location(of: node)))
    }
}
