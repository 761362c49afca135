import Devices
import IoTHubCore
import Yams

/// Reads device descriptions (`device:` or each item of `devices:`), with per-target and
/// command-line overrides.
enum DeviceParser {
    static let keys = ["id", "kind", "profile", "key", "token", "token_ttl", "api_version"]

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
        guard let idNode = entries["id"] else {
            reader.missing("id", in: base, "device")
            return nil
        }
        guard let idText = reader.nonEmptyString(idNode, "device id") else { return nil }
        let id: DeviceID
        do {
            id = try DeviceID(idText)
        } catch {
            reader.error("\(error)", at: idNode)
            return nil
        }
        var spec = DeviceSpec(id: id)
        for item in entries.items where item.key != "id" {
            guard let text = reader.string(item.value, item.key) else { continue }
            if let problem = apply(item.key, text, to: &spec) {
                reader.error(problem, at: item.value)
            }
            if item.key == "key" || item.key == "token" { reader.markSecret(text) }
        }
        if entries["token"] != nil, entries["token_ttl"] != nil {
            reader.error("give a fixed 'token' or a 'token_ttl' for minted tokens, not both", at: entries["token_ttl"])
        }
        return spec
    }

    /// Sets one device field from text.
    /// - Returns: a message when the value is not valid.
    static func apply(_ key: String, _ text: String, to spec: inout DeviceSpec) -> String? {
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
        case "api_version":
            guard !text.isEmpty else { return "api_version must not be empty" }
            spec.apiVersion = text
        default:
            return "unknown device key '\(key)'\(Suggestions.hint(for: key, in: keys)); allowed: \(keys.joined(separator: ", "))"
        }
        return nil
    }
}
