import Foundation

extension Mosquitto {
    /// The settings of a conformance pack's committed Mosquitto configuration
    /// (`scenarios/conformance/<pack>/brokers/mosquitto/mosquitto.conf`) that a test broker
    /// takes as they are: every line but comments and those the fixture sets itself (the
    /// listener, anonymous access, persistence, the plugin and its file, which
    /// ``start(deniedSubscriptions:options:tls:requireClientCertificate:users:group:)`` makes
    /// for the port and temporary folder it uses).
    public static func packSettings(_ pack: String) throws -> [String] {
        let file = Repository.root.appendingPathComponent("scenarios/conformance/\(pack)/brokers/mosquitto/mosquitto.conf")
        let text = try String(contentsOf: file, encoding: .utf8)
        let ownKeys: Set<String> = ["listener", "allow_anonymous", "persistence", "plugin", "plugin_opt_config_file"]
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { line in
            guard !line.isEmpty, !line.hasPrefix("#") else { return false }
            let key = line.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
            return !ownKeys.contains(key)
        }
    }

    /// The topic filters a pack's committed dynamic security configuration denies to
    /// anonymous subscribers (`brokers/mosquitto/dynamic-security.json`).
    public static func packDeniedSubscriptions(_ pack: String) throws -> [String] {
        let file = Repository.root.appendingPathComponent("scenarios/conformance/\(pack)/brokers/mosquitto/dynamic-security.json")
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: file))
        let roles = (object as? [String: Any])?["roles"] as? [[String: Any]] ?? []
        return roles.flatMap { ($0["acls"] as? [[String: Any]]) ?? [] }
            .filter { ($0["acltype"] as? String) == "subscribePattern" && ($0["allow"] as? Bool) == false }
            .compactMap { $0["topic"] as? String }
    }

    /// A broker set up as a conformance pack's `brokers/mosquitto` says, on a free port.
    public static func startForPack(_ pack: String) async throws -> Mosquitto {
        try await start(deniedSubscriptions: packDeniedSubscriptions(pack), options: packSettings(pack))
    }
}
