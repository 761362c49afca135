import Devices
import Foundation
import IoTHubCore
import MQTTClient
import MQTTCore
import Yams

/// Reads `hub:` values and `--hub` flags: `simulated`, `simulated+tcp`, `mqtt://host:port`,
/// `mqtts://host:port?ca_file=...`, `azure://NAME.azure-devices.net`, or a mapping with `kind`
/// or `url` and the settings of that kind.
enum HubParser {
    /// Query parameters a URL may carry, per kind.
    static let queryKeysByKind: [String: Set<String>] = [
        "mqtt": [],
        "mqtts": ["ca_file", "cert_file", "key_file", "server_name"],
        "azure": ["address", "ca_file", "service_url"],
    ]
    /// Where an Azure target reads its service connection string when the scenario has none.
    static let serviceConnectionStringVariable = "IOTHUB_SERVICE_CONNECTION_STRING"

    /// Reads a `hub:` node (text or mapping). Relative paths are taken from the scenario's folder.
    static func read(_ node: Node, reader: inout YAMLReader) -> HubTarget? {
        let folder = URL(fileURLWithPath: reader.file).deletingLastPathComponent()
        if node.scalar != nil {
            guard let text = reader.string(node, "hub") else { return nil }
            return parse(text: text, reader: &reader, location: reader.location(of: node), folder: folder)
        }
        guard let entries = reader.mapping(node, "hub", keys: Vocabulary.hub) else { return nil }
        var settings: [String: (text: String, node: Node)] = [:]
        var command: [String]?
        for item in entries.items {
            if item.key == "c2d_command" {
                command = readCommand(item.value, reader: &reader)
                continue
            }
            if item.key == "dps" { continue }
            guard let text = reader.string(item.value, "hub \(item.key)") else { return nil }
            if Vocabulary.hub.secretNames.contains(item.key) { reader.markSecret(text) }
            settings[item.key] = (text, item.value)
        }
        let urlKind = settings["url"].flatMap { scheme(of: $0.text) }
        let kind = settings["kind"]?.text ?? urlKind ?? "simulated"
        let kinds = Vocabulary.hubKinds
        guard kinds.contains(kind) else {
            reader.error("hub kind '\(kind)' is unknown\(Suggestions.hint(for: kind, in: kinds)); known: \(kinds.joined(separator: ", "))", at: settings["kind"]?.node)
            return nil
        }
        if let url = settings["url"], urlKind == nil || kind == "simulated" {
            reader.error("hub url must start with mqtt://, mqtts:// or azure://, not '\(HubTarget.redacted(url.text))'", at: url.node)
            return nil
        }
        if let urlKind, urlKind != kind {
            reader.error("hub kind '\(kind)' does not match the url's scheme '\(urlKind)://'", at: settings["kind"]?.node)
            return nil
        }
        // The keys this kind takes besides `kind` and `url`.
        let allowed = Vocabulary.hub.names(takenBy: kind).filter { !["kind", "url"].contains($0) }
        var valid = true
        for item in entries.items where !["kind", "url"].contains(item.key) && !allowed.contains(item.key) {
            reader.error("hub key '\(item.key)' does not apply to a \(kind) hub; it takes: \(allowed.sorted().joined(separator: ", "))", at: item.keyNode)
            valid = false
        }
        guard valid else { return nil }
        var values = settings.mapValues(\.text)
        values["kind"] = nil
        values["url"] = nil
        switch kind {
        case "simulated":
            var hub = SimulatedHubTarget()
            if let hostName = settings["hostname"] {
                guard !hostName.text.isEmpty else {
                    reader.error("hub hostname must not be empty", at: hostName.node)
                    return nil
                }
                hub.hostName = hostName.text
            }
            if let tls = entries["tls"] {
                guard let value = reader.bool(tls, "hub tls") else { return nil }
                hub.tls = value
            }
            if let profile = settings["tls_profile"] {
                guard let value = SimulatedHubTarget.TLSProfile(rawValue: profile.text) else {
                    let names = SimulatedHubTarget.TLSProfile.allCases.map(\.rawValue)
                    reader.error("tls_profile '\(profile.text)' is not a TLS profile\(Suggestions.hint(for: profile.text, in: names)); the profiles are \(names.joined(separator: " and "))", at: profile.node)
                    return nil
                }
                hub.tlsProfile = value
            }
            if let ca = settings["x509_ca"] {
                let path = ca.text.hasPrefix("/") ? ca.text : URL(fileURLWithPath: reader.file).deletingLastPathComponent().appendingPathComponent(ca.text).standardizedFileURL.path
                do {
                    _ = try CertificateFiles.authorityCertificate(at: path)
                } catch {
                    reader.error("x509_ca: \(error)", at: ca.node)
                    return nil
                }
                hub.x509CAFile = path
            }
            if let node = entries["dps"] {
                guard let provisioning = readProvisioning(node, reader: &reader, folder: folder) else { return nil }
                hub.provisioning = provisioning
            }
            if let code = entries["throttle_connack"] {
                guard let value = reader.integer(code, "throttle_connack", in: UInt8(3)...UInt8(5)) else { return nil }
                guard value != 4, let returnCode = ConnectReturnCode(rawValue: value) else {
                    reader.error("throttle_connack must be 3 (server unavailable) or 5 (not authorized)", at: code)
                    return nil
                }
                hub.throttleConnAck = returnCode
            }
            return .simulated(hub)
        default:
            let location = reader.location(of: settings["url"]?.node ?? entries.node)
            let url = settings["url"]?.text ?? (kind == "azure" ? settings["hostname"].map { "azure://\($0.text)" } : nil)
            guard let url else {
                reader.error("a \(kind) hub needs a 'url'\(kind == "azure" ? " or 'hostname'" : ""), for example \(example(kind))", at: entries.node)
                return nil
            }
            guard var target = parse(text: url, reader: &reader, location: location, folder: folder, extra: values) else { return nil }
            if case .azure(var hub) = target, let command {
                hub.cloudToDeviceCommand = command
                target = .azure(hub)
            }
            return target
        }
    }

    /// Reads a hub given as text (`--hub`, or `hub: <text>`). `extra` holds mapping settings
    /// that add to (and win over) the URL's query.
    static func parse(text: String, reader: inout YAMLReader, location: SourceLocation, folder: URL = URL(fileURLWithPath: "."), extra: [String: String] = [:]) -> HubTarget? {
        switch text {
        case "simulated": return .simulatedDefault
        case "simulated+tcp": return .simulated(SimulatedHubTarget(tls: false))
        default: break
        }
        guard let kind = scheme(of: text), let components = URLComponents(string: text), let host = components.host, !host.isEmpty else {
            let known = ["simulated", "simulated+tcp", "mqtt://host:port", "mqtts://host:port", "azure://NAME.azure-devices.net"]
            reader.error("hub '\(HubTarget.redacted(text))' is not one of: \(known.joined(separator: ", "))\(Suggestions.hint(for: text, in: ["simulated", "simulated+tcp"]))", at: location)
            return nil
        }
        var settings: [String: String] = [:]
        let allowedQuery = queryKeysByKind[kind] ?? []
        for item in components.queryItems ?? [] {
            guard allowedQuery.contains(item.name) else {
                let known = allowedQuery.isEmpty ? "none" : allowedQuery.sorted().joined(separator: ", ")
                reader.error("hub URL parameter '\(item.name)' does not apply to \(kind)://\(Suggestions.hint(for: item.name, in: Array(allowedQuery))); it takes: \(known)", at: location)
                return nil
            }
            settings[item.name] = item.value ?? ""
        }
        settings.merge(extra) { _, new in new }
        func path(_ key: String) -> String? {
            settings[key].map { $0.hasPrefix("/") ? $0 : folder.appendingPathComponent($0).standardizedFileURL.path }
        }
        if let password = components.password { reader.markSecret(password) }
        if let raw = components.percentEncodedPassword { reader.markSecret(raw) }
        switch kind {
        case "mqtt", "mqtts":
            let port = components.port ?? (kind == "mqtts" ? 8883 : 1883)
            guard (1...65535).contains(port) else {
                reader.error("hub port must be from 1 to 65535, not \(port)", at: location)
                return nil
            }
            if (settings["cert_file"] == nil) != (settings["key_file"] == nil) {
                reader.error("a client certificate needs both cert_file and key_file", at: location)
                return nil
            }
            let tls = kind == "mqtts"
                ? ClientTLS(caFile: path("ca_file"), serverName: settings["server_name"], certificateFile: path("cert_file"), keyFile: path("key_file"))
                : nil
            return .broker(BrokerTarget(
                host: host,
                port: port,
                tls: tls,
                // URLComponents has already decoded them (`%40` is `@`).
                username: settings["username"] ?? components.user,
                password: settings["password"] ?? components.password
            ))
        default:
            var hub = AzureHubTarget(hostName: host, port: components.port ?? 8883, caFile: path("ca_file"), serviceURL: settings["service_url"])
            if let address = settings["address"] {
                guard let (addressHost, addressPort) = hostAndPort(address) else {
                    reader.error("hub address must be host:port, not '\(address)'", at: location)
                    return nil
                }
                hub.host = addressHost
                hub.port = addressPort
            }
            if let serviceURL = settings["service_url"] {
                guard let url = URL(string: serviceURL), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                    reader.error("hub service_url must be an http or https URL, not '\(serviceURL)'", at: location)
                    return nil
                }
            }
            // An empty value (a variable exported but not filled) counts as none.
            let connection = settings["service_connection_string"] ?? reader.variables.value(of: serviceConnectionStringVariable)
            hub.serviceConnectionString = connection.flatMap { $0.isEmpty ? nil : $0 }
            if let connectionString = hub.serviceConnectionString { reader.markSecret(connectionString) }
            return .azure(hub)
        }
    }

    /// `mqtt`, `mqtts` or `azure` for a URL with that scheme.
    static func scheme(of text: String) -> String? {
        guard let range = text.range(of: "://") else { return nil }
        let scheme = text[..<range.lowerBound].lowercased()
        return ["mqtt", "mqtts", "azure"].contains(scheme) ? scheme : nil
    }

    private static func example(_ kind: String) -> String {
        switch kind {
        case "azure": "azure://NAME.azure-devices.net"
        default: "\(kind)://127.0.0.1:\(kind == "mqtts" ? 8883 : 1883)"
        }
    }

    /// `host:port` (IPv6 hosts in brackets), with a port in `ports`.
    static func hostAndPort(_ text: String, ports: ClosedRange<Int> = 1...65535) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), ports.contains(port) else { return nil }
        let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return host.isEmpty ? nil : (host, port)
    }

    private static func readCommand(_ node: Node, reader: inout YAMLReader) -> [String]? {
        guard let sequence = node.sequence, !sequence.isEmpty else {
            reader.error("c2d_command must be a non-empty list of arguments, for example [az, iot, device, c2d-message, send, ...]", at: node)
            return nil
        }
        var arguments: [String] = []
        for item in sequence {
            guard let text = reader.string(item, "c2d_command argument") else { return nil }
            arguments.append(text)
        }
        return arguments
    }
}
