import Yams

/// Reads `expect: { provisioned: assigned | failed | disabled | refused, assigned_hub,
/// device_id, status_code, within }`.
extension ExpectationParser {
    mutating func readProvisioned(_ node: Node, entries: YAMLReader.Entries) -> ProvisionedMatcher? {
        guard let text = reader.string(node, "provisioned") else { return nil }
        let names = ProvisionedMatcher.Status.allCases.map(\.rawValue)
        guard let status = ProvisionedMatcher.Status(rawValue: text) else {
            reader.error("provisioned '\(text)' is not a registration status\(Suggestions.hint(for: text, in: names)); use one of \(names.joined(separator: ", "))", at: node)
            return nil
        }
        var matcher = ProvisionedMatcher(status: status)
        if let hubNode = entries["assigned_hub"] {
            guard status == .assigned else {
                reader.error("'assigned_hub' goes with 'provisioned: assigned', not '\(text)'", at: hubNode)
                return nil
            }
            matcher.assignedHub = reader.nonEmptyString(hubNode, "assigned_hub")
        }
        if let idNode = entries["device_id"] {
            guard status == .assigned else {
                reader.error("'device_id' goes with 'provisioned: assigned', not '\(text)'", at: idNode)
                return nil
            }
            matcher.deviceID = reader.nonEmptyString(idNode, "device_id")
        }
        if let codeNode = entries["status_code"] {
            guard status == .refused else {
                reader.error("'status_code' goes with 'provisioned: refused' (the status of DPS's error answer), not '\(text)'", at: codeNode)
                return nil
            }
            guard let code = reader.integer(codeNode, "status_code", in: 400...599) else { return nil }
            matcher.statusCode = code
        }
        return matcher
    }
}
