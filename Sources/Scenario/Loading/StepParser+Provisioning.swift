import Yams

/// Reads the `provision` step: `provision: {}` or with `group`, `key`, `id_scope`, `refused`.
extension StepParser {
    mutating func readProvision(_ value: Node) -> ProvisionSpec? {
        var spec = ProvisionSpec()
        guard !reader.isNull(value) else { return spec }
        guard let options = reader.mapping(value, "provision", keys: Vocabulary.provision) else { return nil }
        if let node = options["group"] {
            guard let name = reader.nonEmptyString(node, "provision group") else { return nil }
            spec.group = name
        }
        if let node = options["key"] {
            guard let key = HubParser.readKey(node, "provision key", reader: &reader) else { return nil }
            spec.key = key
        }
        if let node = options["id_scope"] {
            guard let scope = reader.nonEmptyString(node, "provision id_scope") else { return nil }
            spec.idScope = scope
        }
        if let node = options["refused"] {
            guard let text = reader.string(node, "provision refused") else { return nil }
            switch text.lowercased() {
            case "true", "yes", "on": spec.refusal = .any
            case "false", "no", "off": spec.refusal = nil
            default:
                guard let status = Int(text), (400...599).contains(status) else {
                    reader.error("provision refused must be true or the status of DPS's error answer (400 to 599, such as 401), not '\(text)'", at: node)
                    return nil
                }
                spec.refusal = .status(status)
            }
        }
        return spec
    }
}
