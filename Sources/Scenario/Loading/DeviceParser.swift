import Devices
import Foundation
import IoTHubCore
import MQTTCore
import Yams

/// Reads device descriptions (`device:` or each item of `devices:`), with per-target and
/// command-line overrides.
enum DeviceParser {
    /// Keys whose values are lists or mappings.
    static let structuredKeys: Set<String> = ["args", "env", "token_service", "config", "led", "will"]

    /// Reads a device from its entries, then applies `overrides` (entries of the same form that
    /// win over the base ones, for example a target's `device:` mapping). When the overrides
    /// change the kind, the base's settings of its own kind do not carry over.
    static func read(_ base: YAMLReader.Entries, overrides: YAMLReader.Entries?, reader: inout YAMLReader) -> DeviceSpec? {
        var entries = base
        var overridden: Set<String> = []
        if let overrides {
            for item in overrides.items {
                if item.key == "id" {
                    reader.error("a target cannot change a device's id", at: item.keyNode)
                    continue
                }
                entries.items.removeAll { $0.key == item.key }
                entries.items.append(item)
                overridden.insert(item.key)
            }
        }
        let connection = entries["connection_string"].flatMap { readConnectionString($0, reader: &reader) }
        let id: DeviceID
        if let idNode = entries["id"] {
            guard let idText = reader.nonEmptyString(idNode, "device id") else { return nil }
            do {
                id = try DeviceID(idText)
            } catch {
                reader.error("\(error)", at: idNode)
                return nil
            }
            if let connection, let other = connection.deviceID, other != id {
                reader.error("the connection string is for device '\(other)', not '\(id)'", at: entries["connection_string"])
            }
        } else if let connectionID = connection?.deviceID {
            id = connectionID
        } else {
            reader.missing("id", in: base, "device")
            return nil
        }
        // The kind first: which keys the device takes depends on it. An unknown kind is
        // reported once, not again for every key of the kind that was meant.
        var kind = DeviceSpec.Kind.simulated
        var isKindKnown = true
        if let kindNode = entries["kind"], let text = reader.string(kindNode, "kind") {
            if let named = DeviceSpec.Kind(rawValue: text) {
                kind = named
            } else {
                reader.error(unknownKind(text), at: kindNode)
                isKindKnown = false
            }
        }
        if overridden.contains("kind") {
            entries.items.removeAll { !overridden.contains($0.key) && kindProblem($0.key, kind) != nil }
        }
        let folder = URL(fileURLWithPath: reader.file).deletingLastPathComponent()
        var spec = DeviceSpec(id: id, settings: .defaults(for: kind, folder: folder.path))
        spec.key = connection?.key
        for item in entries.items where !["id", "connection_string", "kind"].contains(item.key) {
            if let problem = kindProblem(item.key, kind) {
                if isKindKnown { reader.error(problem, at: item.keyNode) }
                continue
            }
            if structuredKeys.contains(item.key), item.value.scalar == nil || item.key == "led" {
                readStructured(item.key, item.value, into: &spec, folder: folder, reader: &reader)
                continue
            }
            guard let text = reader.string(item.value, item.key) else { continue }
            if let problem = apply(item.key, text, to: &spec, folder: folder) {
                reader.error(problem, at: item.value)
            }
            if Vocabulary.device.secretNames.contains(item.key) { reader.markSecret(text) }
        }
        if entries["connection_string"] != nil, let node = entries["key"] {
            reader.error("give a 'key' or a 'connection_string' (which holds the key), not both", at: node)
        }
        if entries["token"] != nil, entries["token_ttl"] != nil {
            reader.error("give a fixed 'token' or a 'token_ttl' for minted tokens, not both", at: entries["token_ttl"])
        }
        if entries["token"] != nil, let node = entries["token_service"] {
            reader.error("give a fixed 'token' or a 'token_service', not both", at: node)
        }
        if let problem = certificateProblem(spec), let node = entries["key_file"] ?? entries["cert_file"] {
            reader.error(problem, at: node)
        }
        let required = Vocabulary.requiredDeviceKeys(of: kind)
        if isKindKnown, !required.isEmpty, required.allSatisfy({ entries[$0.key] == nil }) {
            reader.error(lacking(required, kind), at: entries.node)
        }
        if let problem = protocolProblem(spec) {
            reader.error(problem, at: entries["protocol"] ?? entries["kind"] ?? entries.node)
        }
        if spec.protocolVersion == .v311, let willNode = entries["will"], let (keyNode, _) = willNode.mapping?.first(where: { $0.key.scalar?.string == "properties" }) {
            reader.error("will 'properties' are MQTT 5.0, and device '\(id)' speaks MQTT 3.1.1; give the device protocol: 5", at: keyNode)
        }
        if entries["command"] != nil, let node = entries["runtime"] {
            reader.error("give a 'command' or a 'runtime' (which finds the interpreter), not both", at: node)
        }
        return spec
    }

    /// Why `key` does not fit a device of `kind`, or `nil` when it does.
    /// What is wrong with a device's `cert_file` and `key_file`: one without the other, a file
    /// that is not PEM, or a key that does not belong to the certificate.
    static func certificateProblem(_ spec: DeviceSpec) -> String? {
        switch (spec.certificateFile, spec.keyFile) {
        case (nil, nil):
            return nil
        case (.some, nil):
            return "cert_file needs a key_file (the certificate's private key)"
        case (nil, .some):
            return "key_file needs a cert_file (the certificate it belongs to)"
        case (.some(let certificate), .some(let key)):
            do {
                try CertificateFiles.matchingPair(certificate: certificate, key: key)
                return nil
            } catch {
                return "\(error)"
            }
        }
    }

    static func kindProblem(_ key: String, _ kind: DeviceSpec.Kind) -> String? {
        guard let kinds = Vocabulary.device[key]?.forms, !kinds.isEmpty, !kinds.contains(kind.rawValue) else { return nil }
        return "'\(key)' is for devices of kind \(kinds.map { "'\($0)'" }.joined(separator: " or ")), and this one is '\(kind.rawValue)'"
    }

    /// A device connection string's id and key (`HostName=...;DeviceId=...;SharedAccessKey=...`).
    private static func readConnectionString(_ node: Node, reader: inout YAMLReader) -> (deviceID: DeviceID?, key: DeviceKey?)? {
        guard let text = reader.nonEmptyString(node, "connection_string") else { return nil }
        reader.markSecret(text)
        do {
            let parsed = try ConnectionString(parsing: text)
            if let key = parsed.sharedAccessKey { reader.markSecret(key.base64) }
            guard let deviceID = parsed.deviceID else {
                reader.error("connection_string has no DeviceId: give a device connection string, not a service one", at: node)
                return nil
            }
            return (try DeviceID(deviceID), parsed.sharedAccessKey)
        } catch {
            reader.error("connection_string: \(error)", at: node)
            return nil
        }
    }

    /// Reads the keys whose values are lists or mappings (the key fits the device's kind).
    private static func readStructured(_ key: String, _ node: Node, into spec: inout DeviceSpec, folder: URL, reader: inout YAMLReader) {
        switch key {
        case "args":
            guard let sequence = node.sequence else {
                reader.error("args must be a list of arguments, not \(reader.describe(node))", at: node)
                return
            }
            let arguments = sequence.compactMap { reader.string($0, "argument") }
            spec.settings.changeProcess { $0.arguments = arguments }
        case "env":
            guard let entries = reader.mapping(node, "env", allowed: anyKeys(node)) else { return }
            var environment: [String: String] = [:]
            for item in entries.items {
                guard Variables.isValidName(Substring(item.key)) else {
                    reader.error("environment variable name '\(item.key)' must be letters, digits and '_'", at: item.keyNode)
                    continue
                }
                if let value = reader.string(item.value, "env \(item.key)") { environment[item.key] = value }
            }
            spec.settings.changeProcess { $0.environment = environment }
        case "config":
            guard let entries = reader.mapping(node, "config", allowed: anyKeys(node)) else { return }
            var values: [String: String] = [:]
            for item in entries.items {
                if let value = reader.string(item.value, "config \(item.key)") { values[item.key] = value }
            }
            spec.settings.changeSerial { $0.config = values }
        case "token_service":
            guard let entries = reader.mapping(node, "token_service", keys: Vocabulary.tokenService) else { return }
            guard let urlNode = entries["url"], let url = reader.nonEmptyString(urlNode, "token_service url") else {
                if entries["url"] == nil { reader.missing("url", in: entries, "token_service") }
                return
            }
            do {
                _ = try TokenServiceEndpoint(url: url)
            } catch {
                reader.error("\(error)", at: urlNode)
            }
            guard let keyNode = entries["key"], let functionKey = reader.nonEmptyString(keyNode, "token_service key") else {
                if entries["key"] == nil { reader.missing("key", in: entries, "token_service") }
                return
            }
            reader.markSecret(functionKey)
            spec.tokenService = DeviceSpec.TokenServiceSpec(url: url, key: functionKey)
        case "will":
            readWill(node, reader: &reader).map { will in spec.settings.changeClient { $0.will = will } }
        case "led":
            if node.scalar != nil {
                guard let pin = reader.integer(node, "led pin", in: 0...255) else { return }
                spec.settings.changeFirmware { $0.output.ledPin = pin }
                return
            }
            guard let entries = reader.mapping(node, "led", keys: Vocabulary.led) else { return }
            if let pinNode = entries["pin"], let pin = reader.integer(pinNode, "led pin", in: 0...255) {
                spec.settings.changeFirmware { $0.output.ledPin = pin }
            }
            for (name, assign) in [("on", \OutputPatterns.ledOn), ("off", \OutputPatterns.ledOff)] {
                guard let patternNode = entries[name], let pattern = reader.nonEmptyString(patternNode, "led \(name)") else { continue }
                if let problem = OutputPatterns.problem(with: pattern) {
                    reader.error(problem, at: patternNode)
                } else {
                    spec.settings.changeFirmware { $0.output.patterns[keyPath: assign] = pattern }
                }
            }
            if entries["pin"] == nil, (entries["on"] == nil) != (entries["off"] == nil) {
                reader.error("led needs both 'on' and 'off' patterns (or a 'pin')", at: node)
            }
        default:
            reader.error("internal: '\(key)' is not a structured key", at: node)
        }
    }

    /// `will: { topic, payload, qos, retain, properties }` of a client device.
    private static func readWill(_ node: Node, reader: inout YAMLReader) -> DeviceSpec.WillSpec? {
        guard let entries = reader.mapping(node, "will", keys: Vocabulary.will) else { return nil }
        guard let topicNode = entries["topic"], let text = reader.string(topicNode, "will topic") else {
            if entries["topic"] == nil { reader.missing("topic", in: entries, "will") }
            return nil
        }
        let topic: TopicName
        do {
            topic = try TopicName(text)
        } catch {
            reader.error("will topic: \(error)", at: topicNode)
            return nil
        }
        var will = DeviceSpec.WillSpec(topic: topic, payload: "")
        if let payloadNode = entries["payload"] { will.payload = reader.string(payloadNode, "will payload") ?? "" }
        if let qosNode = entries["qos"] {
            will.qos = reader.integer(qosNode, "will qos", in: UInt8(0)...UInt8(2)).flatMap(MQTTQoS.init(rawValue:)) ?? .atMostOnce
        }
        if let retainNode = entries["retain"] { will.retain = reader.bool(retainNode, "will retain") ?? false }
        if let propertiesNode = entries["properties"] {
            var values = MQTT5ValueParser(reader: reader)
            will.properties = values.encodedProperties(propertiesNode, in: .will) ?? .none
            reader = values.reader
        }
        return will
    }

    /// Every key of a mapping node (for free-form mappings such as `env`).
    private static func anyKeys(_ node: Node) -> [String] {
        node.mapping?.compactMap { $0.key.scalar?.string } ?? []
    }
}
