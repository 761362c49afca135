import Foundation
import MQTTCore
import NIOCore
import Yams

/// Reads the MQTT 5.0 values of a scenario: `properties:` mappings (names from
/// ``MQTTPropertyIdentifier/name``, each allowed only where the standard allows it, by
/// ``MQTTPropertyContext/identifiers``) and reason codes (``MQTTReasonCode/init(name:)`` or a
/// number, allowed only in packets that may carry them).
struct MQTT5ValueParser {
    var reader: YAMLReader

    /// The names a scenario writes for User Properties.
    static let userNames = ["user", "user_property"]

    /// The most User Properties one `properties:` may list: YAML aliases could otherwise make
    /// a short file name millions of them.
    static let maximumUserProperties = 1_000

    /// The property names `context` takes, as a scenario writes them (`user` for User Property).
    static func names(in context: MQTTPropertyContext) -> [String] {
        context.identifiers.map { $0 == .userProperty ? "user" : $0.name }
    }

    /// `properties: { name: value, user: { k: v } }` for `context`.
    /// - Parameter sentByDevice: the device sends them (a step), so the rules for what a client
    ///   may send apply too: no Subscription Identifier in a PUBLISH [MQTT-3.3.4-6].
    /// - Returns: the properties in order, or `nil` after reporting every problem.
    mutating func properties(_ node: Node, in context: MQTTPropertyContext, sentByDevice: Bool) -> [MQTTProperty]? {
        guard let mapping = node.mapping else {
            reader.error("properties must be a mapping of MQTT 5.0 property names to values, not \(reader.describe(node))", at: node)
            return nil
        }
        var properties: [MQTTProperty] = []
        var seen: [MQTTPropertyIdentifier: Node] = [:]
        var failed = false
        for (keyNode, valueNode) in mapping {
            guard let name = reader.literal(keyNode, "property name") else {
                failed = true
                continue
            }
            if Self.userNames.contains(name) {
                guard let pairs = userProperties(valueNode) else {
                    failed = true
                    continue
                }
                properties += pairs.map { MQTTProperty.userProperty(name: $0.0, value: $0.1) }
                continue
            }
            guard let identifier = MQTTPropertyIdentifier.allCases.first(where: { $0.name == name }) else {
                let allowed = Self.names(in: context)
                let all = MQTTPropertyIdentifier.allCases.map(\.name) + Self.userNames
                let hint = Suggestions.closest(to: name, in: allowed) ?? Suggestions.closest(to: name, in: all)
                reader.error(
                    "unknown MQTT 5.0 property '\(name)'\(hint.map { " (did you mean '\($0)'?)" } ?? ""); \(context) are \(allowed.joined(separator: ", "))",
                    at: keyNode
                )
                failed = true
                continue
            }
            guard identifier.isAllowed(in: context) else {
                reader.error(
                    "property '\(name)' is not allowed in \(context) (MQTT 5.0 section \(context.propertiesSection) lists \(Self.names(in: context).joined(separator: ", ")))",
                    at: keyNode
                )
                failed = true
                continue
            }
            if sentByDevice, context == .publish, identifier == .subscriptionIdentifier {
                reader.error("a client must not send subscription_identifier in PUBLISH [MQTT-3.3.4-6]; give it on the subscribe step, and expect it on the messages the broker forwards", at: keyNode)
                failed = true
                continue
            }
            if seen[identifier] != nil, !identifier.mayRepeat(in: context) {
                reader.error("property '\(name)' is given twice; \(context) may carry it once", at: keyNode)
                failed = true
                continue
            }
            seen[identifier] = keyNode
            guard let value = value(of: identifier, valueNode), let property = MQTTProperty(identifier: identifier, value: value) else {
                failed = true
                continue
            }
            properties.append(property)
        }
        return failed ? nil : properties
    }

    /// The properties as ``MQTTProperties`` (for a step to send).
    mutating func encodedProperties(_ node: Node, in context: MQTTPropertyContext) -> MQTTProperties? {
        guard let list = properties(node, in: context, sentByDevice: true) else { return nil }
        do {
            return try MQTTProperties(list)
        } catch {
            reader.error("properties: \(error)", at: node)
            return nil
        }
    }

    /// `user: { k: v }` or, when a name repeats, `user: [ { k: v }, { k: v2 } ]`.
    private mutating func userProperties(_ node: Node) -> [(String, String)]? {
        let items: [Node]
        if node.mapping != nil {
            items = [node]
        } else if let sequence = node.sequence, !sequence.isEmpty {
            items = Array(sequence)
        } else {
            reader.error("user properties are a mapping { name: value }, or a list of them when a name repeats, not \(reader.describe(node))", at: node)
            return nil
        }
        var pairs: [(String, String)] = []
        for item in items {
            guard pairs.count + (item.mapping?.count ?? 0) <= Self.maximumUserProperties else {
                reader.error("more than \(Self.maximumUserProperties) user properties (YAML aliases count each time they are used)", at: node)
                return nil
            }
            guard let mapping = item.mapping else {
                reader.error("each item of user is a mapping { name: value }, not \(reader.describe(item))", at: item)
                return nil
            }
            for (keyNode, valueNode) in mapping {
                guard let name = reader.string(keyNode, "user property name"), let value = reader.string(valueNode, "user property '\(name)'") else { return nil }
                guard checkText(name, "user property name", at: keyNode), checkText(value, "user property '\(name)'", at: valueNode) else { return nil }
                pairs.append((name, value))
            }
        }
        return pairs
    }

    /// A property's value of its identifier's data type, with the standard's range.
    private mutating func value(of identifier: MQTTPropertyIdentifier, _ node: Node) -> MQTTPropertyValue? {
        let name = identifier.name
        switch identifier.valueType {
        case .byte:
            return reader.integer(node, name, in: UInt8(0)...UInt8(1)).map(MQTTPropertyValue.byte)
        case .twoByteInteger:
            let lowest: UInt16 = identifier == .receiveMaximum || identifier == .topicAlias ? 1 : 0
            return reader.integer(node, name, in: lowest...UInt16.max).map(MQTTPropertyValue.twoByteInteger)
        case .fourByteInteger:
            let lowest: UInt32 = identifier == .maximumPacketSize ? 1 : 0
            return reader.integer(node, name, in: lowest...UInt32.max).map(MQTTPropertyValue.fourByteInteger)
        case .variableByteInteger:
            return reader.integer(node, name, in: UInt32(1)...UInt32(268_435_455)).map(MQTTPropertyValue.variableByteInteger)
        case .utf8String:
            guard let text = reader.string(node, name), checkText(text, name, at: node) else { return nil }
            if identifier == .responseTopic {
                do {
                    _ = try TopicName(text)
                } catch {
                    reader.error("response_topic must be a topic name: \(error)", at: node)
                    return nil
                }
            }
            return .string(text)
        case .binaryData:
            return binary(node, name).map(MQTTPropertyValue.binary)
        case .utf8StringPair:
            return nil
        }
    }

    /// Binary data: text (its UTF-8 bytes) or `{ hex: "01 02" }`.
    private mutating func binary(_ node: Node, _ what: String) -> ByteBuffer? {
        var bytes: [UInt8]
        if node.mapping != nil {
            guard let entries = reader.mapping(node, what, allowed: ["hex"]) else { return nil }
            guard let hexNode = entries["hex"] else {
                reader.missing("hex", in: entries, what)
                return nil
            }
            var steps = StepParser(deviceIDs: [], reader: reader)
            let parsed = steps.readHex(hexNode, "\(what) hex")
            reader = steps.reader
            guard let parsed else { return nil }
            bytes = parsed.bytes
        } else {
            guard let text = reader.string(node, what) else { return nil }
            bytes = Array(text.utf8)
        }
        guard bytes.count <= Int(UInt16.max) else {
            reader.error("\(what) is \(bytes.count) bytes; MQTT binary data holds at most 65535", at: node)
            return nil
        }
        return ByteBuffer(bytes: bytes)
    }

    /// MQTT strings: at most 65,535 bytes, no U+0000 [MQTT-1.5.4-2].
    private mutating func checkText(_ text: String, _ what: String, at node: Node) -> Bool {
        if text.utf8.count > Int(UInt16.max) {
            reader.error("\(what) is \(text.utf8.count) bytes; an MQTT string holds at most 65535", at: node)
            return false
        }
        if text.unicodeScalars.contains("\u{0}") {
            reader.error("\(what) contains U+0000, which MQTT strings must not [MQTT-1.5.4-2]", at: node)
            return false
        }
        return true
    }

    /// A reason code `packet` may carry: a name (`not_authorized`, as ``MQTTReasonCode``
    /// names it in that packet) or a number 0-255 (`135`, `0x87`).
    mutating func reason(_ node: Node, in packet: MQTTPacketType, _ what: String = "reason") -> MQTTReasonCode? {
        guard let text = reader.string(node, what) else { return nil }
        let allowed = MQTTReasonCode.allowed(in: packet)
        let names = allowed.map { $0.name(in: packet) }
        let trimmed = text.trimmingCharacters(in: [" "])
        let code: MQTTReasonCode
        if let number = Self.number(trimmed) {
            guard (0...255).contains(number) else {
                reader.error("\(what) \(trimmed) is out of range: a reason code is one byte, 0 to 255 (0x00 to 0xFF)", at: node)
                return nil
            }
            guard let known = MQTTReasonCode(rawValue: UInt8(number)) else {
                reader.error("\(what) \(trimmed) is not an MQTT 5.0 reason code (Table 2-6); \(packet) takes \(names.joined(separator: ", "))", at: node)
                return nil
            }
            code = known
        } else {
            guard let named = MQTTReasonCode(name: trimmed) else {
                let all = MQTTReasonCode.allCases.map(\.name) + ["normal_disconnection", "granted_qos_0"]
                let hint = Suggestions.closest(to: trimmed, in: names) ?? Suggestions.closest(to: trimmed, in: all)
                reader.error("unknown reason code '\(text)'\(hint.map { " (did you mean '\($0)'?)" } ?? ""); \(packet) takes \(names.joined(separator: ", ")) or a number", at: node)
                return nil
            }
            // 0x00 has three names, one per packet: the one given must be this packet's.
            let spelled = String(trimmed.lowercased().map { $0 == " " || $0 == "-" ? "_" : $0 })
            if named.isAllowed(in: packet), spelled != named.name(in: packet) {
                reader.error("'\(text)' is not what \(packet) calls this code; \(packet) names it \(named.name(in: packet)) (0x00)", at: node)
                return nil
            }
            code = named
        }
        guard code.isAllowed(in: packet) else {
            reader.error("\(code.description(in: packet)) is not a reason code of \(packet); it takes \(names.joined(separator: ", "))", at: node)
            return nil
        }
        return code
    }

    /// A decimal or `0x` hexadecimal number (negative too, to report it out of range).
    static func number(_ text: String) -> Int? {
        if text.lowercased().hasPrefix("0x") { return text.count > 2 && text.count <= 10 ? Int(text.dropFirst(2), radix: 16) : nil }
        guard let first = text.first, first == "-" || first.isNumber, text.count <= 12 else { return nil }
        return Int(text)
    }
}
