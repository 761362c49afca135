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
        if isKindKnown, let required = Vocabulary.requiredDeviceKey(of: kind), entries[required.key] == nil {
            reader.error(lacking(required, kind), at: entries.node)
        }
        return spec
    }

    /// Why `key` does not fit a device of `kind`, or `nil` when it does.
    static func kindProblem(_ key: String, _ kind: DeviceSpec.Kind) -> String? {
        guard let kinds = Vocabulary.device[key]?.forms, !kinds.isEmpty, !kinds.contains(kind.rawValue) else { return nil }
        return "'\(key)' is for devices of kind \(kinds.map { "'\($0)'" }.joined(separator: " or ")), and this one is '\(kind.rawValue)'"
    }

    /// Applies `--device key=value` settings to a device read from the file: a `kind` first
    /// (with that kind's defaults: a process runs in the scenario's folder), then the others as
    /// settings of that kind, their relative paths taken from the current directory.
    /// - Returns: the problems found.
    static func apply(commandLine settings: [(key: String, value: String)], to spec: inout DeviceSpec, scenarioFolder: URL) -> [String] {
        var problems: [String] = []
        let kind = spec.kind
        for (key, value) in settings where key == "kind" {
            if let problem = apply(key, value, to: &spec, folder: scenarioFolder) { problems.append(problem) }
        }
        for (key, value) in settings where key != "kind" {
            if let problem = apply(key, value, to: &spec) { problems.append(problem) }
        }
        let isMissing: Bool
        switch spec.settings {
        case .process(let process, _): isMissing = process.command.isEmpty
        case .serial(let serial, _): isMissing = serial.port.isEmpty
        case .simulated, .client: isMissing = false
        }
        if spec.kind != kind, isMissing, let required = Vocabulary.requiredDeviceKey(of: spec.kind) { problems.append(lacking(required, spec.kind)) }
        return problems
    }

    private static func lacking(_ required: (key: String, example: String), _ kind: DeviceSpec.Kind) -> String {
        "a device of kind '\(kind.rawValue)' needs a '\(required.key)' (for example \(required.example))"
    }

    private static func unknownKind(_ text: String) -> String {
        let kinds = DeviceSpec.Kind.allCases.map(\.rawValue)
        return "device kind '\(text)' is not supported\(Suggestions.hint(for: text, in: kinds)); known: \(kinds.joined(separator: ", "))"
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

    /// `will: { topic, payload, qos, retain }` of a client device.
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
        return will
    }

    /// Every key of a mapping node (for free-form mappings such as `env`).
    private static func anyKeys(_ node: Node) -> [String] {
        node.mapping?.compactMap { $0.key.scalar?.string } ?? []
    }

    /// Sets one device field from text (a scalar of the file, or a `--device key=value`). A
    /// `kind` changes the device to that kind's default settings.
    /// - Returns: a message when the key is unknown, does not fit the device's kind, or the
    ///   value is not valid.
    static func apply(_ key: String, _ text: String, to spec: inout DeviceSpec, folder: URL = URL(fileURLWithPath: ".")) -> String? {
        let keys = Vocabulary.device.names
        guard keys.contains(key) else {
            return "unknown device key '\(key)'\(Suggestions.hint(for: key, in: keys)); allowed: \(keys.joined(separator: ", "))"
        }
        if let problem = kindProblem(key, spec.kind) { return problem }
        switch key {
        case "kind":
            guard let kind = DeviceSpec.Kind(rawValue: text) else { return unknownKind(text) }
            if kind != spec.kind { spec.settings = .defaults(for: kind, folder: folder.path) }
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
        case "token_service":
            guard text == "hub" else { return "token_service must be 'hub' (the simulated hub's token endpoint) or { url, key }, not '\(text)'" }
            spec.tokenServiceFromHub = true
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
            return applyKindSetting(key, text, to: &spec.settings, folder: folder)
        }
        return nil
    }

    /// Sets a key of the device's kind from text (the key fits the kind).
    private static func applyKindSetting(_ key: String, _ text: String, to settings: inout DeviceSpec.Settings, folder: URL) -> String? {
        func path(_ text: String) -> String {
            text.hasPrefix("/") ? text : folder.appendingPathComponent(text).standardizedFileURL.path
        }
        switch key {
        case "profile":
            guard let profile = DeviceProfile(named: text) else {
                let names = DeviceProfile.all.map(\.name)
                return "device profile '\(text)' is unknown\(Suggestions.hint(for: text, in: names)); known: \(names.joined(separator: ", "))"
            }
            settings.changeSimulated { $0.profile = profile }
        case "keepalive_pings":
            guard let sendsPings = onOff(text) else { return "keepalive_pings must be on or off, not '\(text)'" }
            settings.changeSimulated { $0.sendsPings = sendsPings }
            settings.changeClient { $0.sendsPings = sendsPings }
        case "renewal_margin":
            switch ScenarioDuration.parse(text) {
            case .success(let margin): settings.changeSimulated { $0.renewalMargin = margin }
            case .failure(let failure): return "renewal_margin: \(failure)"
            }
        case "command":
            guard !text.isEmpty else { return "command must not be empty" }
            settings.changeProcess { $0.command = text }
        case "working_directory":
            settings.changeProcess { $0.workingDirectory = path(text) }
        case "port":
            guard !text.isEmpty else { return "port must name a serial device, for example /dev/ttyUSB0" }
            settings.changeSerial { $0.port = text }
        case "baud":
            guard let baud = Int(text), SerialPortSettings.supportedBaudRates.contains(baud) else {
                return "baud \(text) is not supported; use one of \(SerialPortSettings.supportedBaudRates.map(String.init).joined(separator: ", "))"
            }
            settings.changeSerial { $0.baud = baud }
        case "firmware":
            settings.changeSerial { $0.firmware = path(text) }
        case "led":
            guard let pin = Int(text), (0...255).contains(pin) else { return "led must be a GPIO number or { on: ..., off: ... } patterns" }
            settings.changeFirmware { $0.output.ledPin = pin }
        case "ready", "connected":
            if let problem = OutputPatterns.problem(with: text) { return problem }
            settings.changeFirmware { firmware in
                if key == "ready" { firmware.output.patterns.ready = text } else { firmware.output.patterns.connected = text }
            }
        case "ca_file":
            settings.changeFirmware { $0.caFile = path(text) }
        case "tap":
            guard let (host, port) = HubParser.hostAndPort(text, ports: 0...65535) else {
                return "tap must be host:port, the address of this machine the device connects to (port 0 picks a free one), not '\(text)'"
            }
            guard !["0.0.0.0", "::", "*"].contains(host) else {
                return "tap needs an address the device can reach (for example 192.168.1.10:1884), not '\(text)'"
            }
            settings.changeFirmware { $0.tapAddress = DeviceSpec.TapAddress(host: host, port: port) }
        case "will":
            return "will must be a mapping { topic, payload, qos, retain }, not '\(text)'"
        case "auto_ack":
            guard let acknowledges = onOff(text) else { return "auto_ack must be true or false, not '\(text)'" }
            settings.changeClient { $0.acknowledgesMessages = acknowledges }
        default:
            return "'\(key)' takes a list or a mapping; give it in the scenario file"
        }
        return nil
    }

    /// `on`/`true`/`yes` or `off`/`false`/`no`, in any case.
    private static func onOff(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "on", "true", "yes": true
        case "off", "false", "no": false
        default: nil
        }
    }
}

/// Changes to the settings of one kind, applied only when the device is of that kind (the
/// parser checks that a key fits the kind before it applies it).
extension DeviceSpec.Settings {
    fileprivate mutating func changeSimulated(_ change: (inout DeviceSpec.SimulatedSettings) -> Void) {
        guard case .simulated(var simulated) = self else { return }
        change(&simulated)
        self = .simulated(simulated)
    }

    fileprivate mutating func changeProcess(_ change: (inout DeviceSpec.ProcessSettings) -> Void) {
        guard case .process(var process, let firmware) = self else { return }
        change(&process)
        self = .process(process, firmware)
    }

    fileprivate mutating func changeSerial(_ change: (inout DeviceSpec.SerialSettings) -> Void) {
        guard case .serial(var serial, let firmware) = self else { return }
        change(&serial)
        self = .serial(serial, firmware)
    }

    /// The settings `process` and `serial` devices share.
    fileprivate mutating func changeFirmware(_ change: (inout DeviceSpec.FirmwareSettings) -> Void) {
        switch self {
        case .process(let process, var firmware):
            change(&firmware)
            self = .process(process, firmware)
        case .serial(let serial, var firmware):
            change(&firmware)
            self = .serial(serial, firmware)
        case .simulated, .client:
            return
        }
    }

    fileprivate mutating func changeClient(_ change: (inout DeviceSpec.ClientSettings) -> Void) {
        guard case .client(var client) = self else { return }
        change(&client)
        self = .client(client)
    }
}
