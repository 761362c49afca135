import Devices
import Foundation
import IoTHubCore
import MQTTCore
import Yams

/// Reads device descriptions (`device:` or each item of `devices:`), with per-target and
/// command-line overrides.
enum DeviceParser {
    static let keys = [
        "id", "kind", "profile", "key", "token", "token_ttl", "api_version", "keepalive_pings", "renewal_margin",
        "token_service", "command", "args", "env", "working_directory", "port", "baud", "firmware", "config", "led",
        "ready", "connected", "ca_file", "client_id", "username", "password", "connection_string", "tap", "will", "auto_ack",
    ]
    /// Keys whose values are secret.
    static let secretKeys: Set<String> = ["key", "token", "password", "connection_string"]
    /// Keys whose values are lists or mappings.
    static let structuredKeys: Set<String> = ["args", "env", "token_service", "config", "led", "will"]
    /// Keys that only a `process` or a `serial` device takes.
    static let processKeys: Set<String> = ["command", "args", "env", "working_directory"]
    static let serialKeys: Set<String> = ["port", "baud", "firmware", "config"]
    static let firmwareKeys: Set<String> = ["led", "ready", "connected"]
    /// Keys that only a `client` device takes.
    static let clientKeys: Set<String> = ["will", "auto_ack"]

    /// Reads a device from its entries, then applies `overrides` (entries of the same form that
    /// win over the base ones, for example a target's `device:` mapping).
    static func read(_ base: YAMLReader.Entries, overrides: YAMLReader.Entries?, reader: inout YAMLReader) -> DeviceSpec? {
        var entries = base
        if let overrides {
            for item in overrides.items {
                if item.key == "id" {
                    reader.error("a target cannot change a device's id", at: item.keyNode)
                    continue
                }
                entries.items.removeAll { $0.key == item.key }
                entries.items.append(item)
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
        var spec = DeviceSpec(id: id)
        let folder = URL(fileURLWithPath: reader.file).deletingLastPathComponent()
        spec.key = connection?.key
        for item in entries.items where item.key != "id" && item.key != "connection_string" {
            if structuredKeys.contains(item.key), item.value.scalar == nil || item.key == "led" {
                readStructured(item.key, item.value, into: &spec, folder: folder, reader: &reader)
                continue
            }
            guard let text = reader.string(item.value, item.key) else { continue }
            if let problem = apply(item.key, text, to: &spec, folder: folder) {
                reader.error(problem, at: item.value)
            }
            if secretKeys.contains(item.key) { reader.markSecret(text) }
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
        checkKind(spec, entries: entries, reader: &reader)
        return spec
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

    /// Reports keys that do not fit the device's kind, and missing required ones.
    private static func checkKind(_ spec: DeviceSpec, entries: YAMLReader.Entries, reader: inout YAMLReader) {
        for item in entries.items {
            let allowedKinds: [DeviceSpec.Kind]
            if processKeys.contains(item.key) {
                allowedKinds = [.process]
            } else if serialKeys.contains(item.key) {
                allowedKinds = [.serial]
            } else if clientKeys.contains(item.key) {
                allowedKinds = [.client]
            } else if firmwareKeys.contains(item.key) || item.key == "ca_file" || item.key == "tap" {
                allowedKinds = [.process, .serial]
            } else {
                continue
            }
            if !allowedKinds.contains(spec.kind) {
                let kinds = allowedKinds.map { "'\($0.rawValue)'" }.joined(separator: " or ")
                reader.error("'\(item.key)' is for devices of kind \(kinds), and this one is '\(spec.kind.rawValue)'", at: item.keyNode)
            }
        }
        switch spec.kind {
        case .process where spec.process == nil:
            reader.error("a device of kind 'process' needs a 'command'", at: entries.node)
        case .serial where spec.serial == nil:
            reader.error("a device of kind 'serial' needs a 'port' (for example /dev/ttyUSB0)", at: entries.node)
        default:
            break
        }
    }

    /// Reads the keys whose values are lists or mappings.
    private static func readStructured(_ key: String, _ node: Node, into spec: inout DeviceSpec, folder: URL, reader: inout YAMLReader) {
        switch key {
        case "args":
            guard let sequence = node.sequence else {
                reader.error("args must be a list of arguments, not \(reader.describe(node))", at: node)
                return
            }
            let arguments = sequence.compactMap { reader.string($0, "argument") }
            spec.process = processSettings(spec, folder: folder) { $0.arguments = arguments }
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
            spec.process = processSettings(spec, folder: folder) { $0.environment = environment }
        case "config":
            guard let entries = reader.mapping(node, "config", allowed: anyKeys(node)) else { return }
            var values: [String: String] = [:]
            for item in entries.items {
                if let value = reader.string(item.value, "config \(item.key)") { values[item.key] = value }
            }
            var serial = spec.serial ?? DeviceSpec.SerialSettings(port: "")
            serial.config = values
            spec.serial = serial
        case "token_service":
            guard let entries = reader.mapping(node, "token_service", allowed: ["url", "key"]) else { return }
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
            readWill(node, into: &spec, reader: &reader)
        case "led":
            if node.scalar != nil {
                guard let pin = reader.integer(node, "led pin", in: 0...255) else { return }
                spec.output.ledPin = pin
                return
            }
            guard let entries = reader.mapping(node, "led", allowed: ["pin", "on", "off"]) else { return }
            if let pinNode = entries["pin"], let pin = reader.integer(pinNode, "led pin", in: 0...255) {
                spec.output.ledPin = pin
            }
            for (name, assign) in [("on", \OutputPatterns.ledOn), ("off", \OutputPatterns.ledOff)] {
                guard let patternNode = entries[name], let pattern = reader.nonEmptyString(patternNode, "led \(name)") else { continue }
                if let problem = OutputPatterns.problem(with: pattern) {
                    reader.error(problem, at: patternNode)
                } else {
                    spec.output.patterns[keyPath: assign] = pattern
                }
            }
            if entries["pin"] == nil, (entries["on"] == nil) != (entries["off"] == nil) {
                reader.error("led needs both 'on' and 'off' patterns (or a 'pin')", at: node)
            }
        default:
            reader.error("internal: '\(key)' is not a structured key", at: node)
        }
    }

    /// `will: { topic, payload, qos, retain }` of a client device.
    private static func readWill(_ node: Node, into spec: inout DeviceSpec, reader: inout YAMLReader) {
        guard let entries = reader.mapping(node, "will", allowed: ["topic", "payload", "qos", "retain"]) else { return }
        guard let topicNode = entries["topic"], let text = reader.string(topicNode, "will topic") else {
            if entries["topic"] == nil { reader.missing("topic", in: entries, "will") }
            return
        }
        let topic: TopicName
        do {
            topic = try TopicName(text)
        } catch {
            reader.error("will topic: \(error)", at: topicNode)
            return
        }
        var will = DeviceSpec.WillSpec(topic: topic, payload: "")
        if let payloadNode = entries["payload"] { will.payload = reader.string(payloadNode, "will payload") ?? "" }
        if let qosNode = entries["qos"] {
            will.qos = reader.integer(qosNode, "will qos", in: UInt8(0)...UInt8(2)).flatMap(MQTTQoS.init(rawValue:)) ?? .atMostOnce
        }
        if let retainNode = entries["retain"] { will.retain = reader.bool(retainNode, "will retain") ?? false }
        spec.will = will
    }

    /// Every key of a mapping node (for free-form mappings such as `env`).
    private static func anyKeys(_ node: Node) -> [String] {
        node.mapping?.compactMap { $0.key.scalar?.string } ?? []
    }

    private static func processSettings(_ spec: DeviceSpec, folder: URL, _ change: (inout DeviceSpec.ProcessSettings) -> Void) -> DeviceSpec.ProcessSettings {
        var settings = spec.process ?? DeviceSpec.ProcessSettings(command: "", workingDirectory: folder.path)
        change(&settings)
        return settings
    }

    /// Sets one device field from text.
    /// - Returns: a message when the value is not valid.
    static func apply(_ key: String, _ text: String, to spec: inout DeviceSpec, folder: URL = URL(fileURLWithPath: ".")) -> String? {
        switch key {
        case "kind":
            guard let kind = DeviceSpec.Kind(rawValue: text) else {
                let kinds = DeviceSpec.Kind.allCases.map(\.rawValue)
                return "device kind '\(text)' is not supported\(Suggestions.hint(for: text, in: kinds)); known: \(kinds.joined(separator: ", "))"
            }
            spec.kind = kind
        case "profile":
            guard let profile = DeviceProfile(named: text) else {
                let names = DeviceProfile.all.map(\.name)
                return "device profile '\(text)' is unknown\(Suggestions.hint(for: text, in: names)); known: \(names.joined(separator: ", "))"
            }
            spec.profile = profile
        case "key":
            do {
                spec.key = try DeviceKey(base64: text)
            } catch {
                return "device key: \(error)"
            }
        case "token":
            guard !text.isEmpty else { return "device token must not be empty" }
            spec.token = text
        case "token_ttl":
            switch ScenarioDuration.parse(text) {
            case .success(let ttl):
                guard ttl >= .seconds(1) else { return "token_ttl must be at least 1s" }
                spec.tokenTTL = ttl
            case .failure(let failure):
                return "token_ttl: \(failure)"
            }
        case "connection_string":
            guard let parsed = try? ConnectionString(parsing: text), let key = parsed.sharedAccessKey else {
                return "connection_string must be HostName=...;DeviceId=...;SharedAccessKey=..."
            }
            guard parsed.deviceID == spec.id.string else { return "the connection string is for another device than '\(spec.id)'" }
            spec.key = key
        case "tap":
            guard let (host, port) = HubParser.hostAndPort(text, ports: 0...65535) else {
                return "tap must be host:port, the address of this machine the device connects to (port 0 picks a free one), not '\(text)'"
            }
            guard !["0.0.0.0", "::", "*"].contains(host) else {
                return "tap needs an address the device can reach (for example 192.168.1.10:1884), not '\(text)'"
            }
            spec.tapAddress = DeviceSpec.TapAddress(host: host, port: port)
        case "client_id":
            spec.clientID = text
        case "username":
            spec.username = text
        case "password":
            spec.password = text
        case "api_version":
            guard !text.isEmpty else { return "api_version must not be empty" }
            spec.apiVersion = text
        default:
            return applyDeviceKind(key, text, to: &spec, folder: folder)
        }
        return nil
    }

    /// The keys of process and serial devices, profiles and token handling.
    private static func applyDeviceKind(_ key: String, _ text: String, to spec: inout DeviceSpec, folder: URL) -> String? {
        func path(_ text: String) -> String {
            text.hasPrefix("/") ? text : folder.appendingPathComponent(text).standardizedFileURL.path
        }
        switch key {
        case "token_service":
            guard text == "hub" else { return "token_service must be 'hub' (the simulated hub's token endpoint) or { url, key }, not '\(text)'" }
            spec.tokenServiceFromHub = true
        case "keepalive_pings":
            switch text.lowercased() {
            case "on", "true", "yes": spec.sendsPings = true
            case "off", "false", "no": spec.sendsPings = false
            default: return "keepalive_pings must be on or off, not '\(text)'"
            }
        case "renewal_margin":
            switch ScenarioDuration.parse(text) {
            case .success(let margin): spec.renewalMargin = margin
            case .failure(let failure): return "renewal_margin: \(failure)"
            }
        case "command":
            guard !text.isEmpty else { return "command must not be empty" }
            var settings = spec.process ?? DeviceSpec.ProcessSettings(command: text, workingDirectory: folder.path)
            settings.command = text
            spec.process = settings
        case "working_directory":
            var settings = spec.process ?? DeviceSpec.ProcessSettings(command: "", workingDirectory: folder.path)
            settings.workingDirectory = path(text)
            spec.process = settings
        case "port":
            guard !text.isEmpty else { return "port must name a serial device, for example /dev/ttyUSB0" }
            var settings = spec.serial ?? DeviceSpec.SerialSettings(port: text)
            settings.port = text
            spec.serial = settings
        case "baud":
            guard let baud = Int(text), SerialPortSettings.supportedBaudRates.contains(baud) else {
                return "baud \(text) is not supported; use one of \(SerialPortSettings.supportedBaudRates.map(String.init).joined(separator: ", "))"
            }
            var settings = spec.serial ?? DeviceSpec.SerialSettings(port: "")
            settings.baud = baud
            spec.serial = settings
        case "firmware":
            var settings = spec.serial ?? DeviceSpec.SerialSettings(port: "")
            settings.firmware = path(text)
            spec.serial = settings
        case "ready", "connected":
            if let problem = OutputPatterns.problem(with: text) { return problem }
            if key == "ready" { spec.output.patterns.ready = text } else { spec.output.patterns.connected = text }
        case "ca_file":
            spec.caFile = path(text)
        case "will":
            return "will must be a mapping { topic, payload, qos, retain }, not '\(text)'"
        case "auto_ack":
            switch text.lowercased() {
            case "on", "true", "yes": spec.autoAck = true
            case "off", "false", "no": spec.autoAck = false
            default: return "auto_ack must be true or false, not '\(text)'"
            }
        case "led":
            guard let pin = Int(text), (0...255).contains(pin) else { return "led must be a GPIO number or { on: ..., off: ... } patterns" }
            spec.output.ledPin = pin
        default:
            return "unknown device key '\(key)'\(Suggestions.hint(for: key, in: keys)); allowed: \(keys.joined(separator: ", "))"
        }
        return nil
    }
}
