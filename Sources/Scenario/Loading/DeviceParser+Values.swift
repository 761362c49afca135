import MQTTCore
import Devices
import Foundation
import IoTHubCore

/// Device values from text: the scalars of the file, and `--device key=value`.
extension DeviceParser {
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
        case .process(let process, _): isMissing = process.command.isEmpty && process.runtime == nil
        case .serial(let serial, _): isMissing = serial.port.isEmpty
        case .simulated, .client: isMissing = false
        }
        if settings.contains(where: { ["protocol", "kind", "profile"].contains($0.key) }), let problem = protocolProblem(spec) { problems.append(problem) }
        let required = Vocabulary.requiredDeviceKeys(of: spec.kind)
        if spec.kind != kind, isMissing, !required.isEmpty { problems.append(lacking(required, spec.kind)) }
        return problems
    }

    static func lacking(_ required: [(key: String, example: String)], _ kind: DeviceSpec.Kind) -> String {
        let choices = required.map { "a '\($0.key)' (for example \($0.example))" }.joined(separator: " or ")
        return "a device of kind '\(kind.rawValue)' needs \(choices)"
    }

    /// Why the device cannot speak its `protocol`, or `nil`: only a `client` speaks MQTT 5.0;
    /// the simulated profiles and firmware speak what their client library speaks, 3.1.1.
    static func protocolProblem(_ spec: DeviceSpec) -> String? {
        guard spec.protocolVersion == .v5 else { return nil }
        let reason: String
        switch spec.settings {
        case .client: return nil
        case .simulated(let simulated):
            switch simulated.profile.name {
            case DeviceProfile.umqttSimple.name: reason = "umqtt.simple speaks MQTT 3.1.1 only"
            case DeviceProfile.umqttRobust.name: reason = "umqtt.robust speaks MQTT 3.1.1 only"
            default: reason = "the Azure IoT device SDK speaks MQTT 3.1.1 to IoT Hub"
            }
        case .process, .serial:
            reason = "firmware runs its own MQTT client, which the harness cannot switch to MQTT 5.0"
        }
        return "protocol 5: \(reason); only a device of kind client speaks MQTT 5.0"
    }

    static func unknownKind(_ text: String) -> String {
        let kinds = DeviceSpec.Kind.allCases.map(\.rawValue)
        return "device kind '\(text)' is not supported\(Suggestions.hint(for: text, in: kinds)); known: \(kinds.joined(separator: ", "))"
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
        case "protocol":
            switch text.trimmingCharacters(in: [" "]) {
            case "5", "5.0": spec.protocolVersion = .v5
            case "4", "3.1.1": spec.protocolVersion = .v311
            default: return "protocol must be 5 (or \"5.0\") for MQTT 5.0, or 4 (or \"3.1.1\") for MQTT 3.1.1, not '\(text)'"
            }
        case "client_id":
            spec.clientID = text
        case "username":
            spec.username = text
        case "password":
            spec.password = text
        case "api_version":
            guard !text.isEmpty else { return "api_version must not be empty" }
            spec.apiVersion = text
        case "cert_file", "key_file":
            let file = text.hasPrefix("/") ? text : folder.appendingPathComponent(text).standardizedFileURL.path
            if key == "cert_file" { spec.certificateFile = file } else { spec.keyFile = file }
        case "transport":
            guard let transport = DeviceSpec.Transport(rawValue: text) else {
                let names = DeviceSpec.Transport.allCases.map(\.rawValue)
                return "transport '\(text)' is not one of \(names.joined(separator: ", "))\(Suggestions.hint(for: text, in: names))"
            }
            spec.transport = transport
        case "trusted_roots":
            guard let roots = DeviceSpec.TrustedRoots(rawValue: text) else {
                let names = DeviceSpec.TrustedRoots.allCases.map(\.rawValue)
                return "trusted_roots '\(text)' is not one of \(names.joined(separator: ", "))\(Suggestions.hint(for: text, in: names))"
            }
            spec.trustedRoots = roots
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
            settings.changeProcess { process in
                process.command = text
                process.runtime = nil
            }
        case "runtime":
            guard let runtime = FirmwareRuntime(rawValue: text) else {
                let names = FirmwareRuntime.allCases.map(\.rawValue)
                return "runtime '\(text)' is not known\(Suggestions.hint(for: text, in: names)); known: \(names.joined(separator: ", ")) (or give a 'command')"
            }
            settings.changeProcess { process in
                process.runtime = runtime
                process.command = ""
            }
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
        case "resume":
            guard let resume = onOff(text) else { return "resume must be true or false, not '\(text)'" }
            settings.changeSerial { $0.resume = resume }
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
    mutating func changeSimulated(_ change: (inout DeviceSpec.SimulatedSettings) -> Void) {
        guard case .simulated(var simulated) = self else { return }
        change(&simulated)
        self = .simulated(simulated)
    }

    mutating func changeProcess(_ change: (inout DeviceSpec.ProcessSettings) -> Void) {
        guard case .process(var process, let firmware) = self else { return }
        change(&process)
        self = .process(process, firmware)
    }

    mutating func changeSerial(_ change: (inout DeviceSpec.SerialSettings) -> Void) {
        guard case .serial(var serial, let firmware) = self else { return }
        change(&serial)
        self = .serial(serial, firmware)
    }

    /// The settings `process` and `serial` devices share.
    mutating func changeFirmware(_ change: (inout DeviceSpec.FirmwareSettings) -> Void) {
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

    mutating func changeClient(_ change: (inout DeviceSpec.ClientSettings) -> Void) {
        guard case .client(var client) = self else { return }
        change(&client)
        self = .client(client)
    }
}
