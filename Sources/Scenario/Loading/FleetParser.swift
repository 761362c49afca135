import Foundation
import IoTHubCore
import Yams

/// Reads fleets (`fleet:` or each item of `fleets:`): the fleet's own keys, then its members'
/// shared settings as a device template read like any device.
enum FleetParser {
    /// The entries of `fleet:` / `fleets:`, empty when the scenario has none.
    static func readEntries(_ top: YAMLReader.Entries, reader: inout YAMLReader) -> [YAMLReader.Entries] {
        switch (top["fleet"], top["fleets"]) {
        case (let single?, nil):
            return reader.mapping(single, "fleet", keys: Vocabulary.fleet).map { [$0] } ?? []
        case (nil, let list?):
            guard let sequence = list.sequence, !sequence.isEmpty else {
                reader.error("fleets must be a non-empty list of fleets", at: list)
                return []
            }
            return sequence.compactMap { reader.mapping($0, "fleet", keys: Vocabulary.fleet) }
        case (_?, let list?):
            reader.error("give 'fleet' (one) or 'fleets' (a list), not both", at: list)
            return []
        case (nil, nil):
            return []
        }
    }

    /// Reads one fleet, with a target's device settings applied to its template, holding the
    /// members of `shard` when given.
    static func read(_ entries: YAMLReader.Entries, overrides: YAMLReader.Entries?, shard: LoadOptions.Shard?, reader: inout YAMLReader) -> FleetSpec? {
        let name = entries["name"].flatMap { reader.nonEmptyString($0, "fleet name") } ?? "fleet"
        guard let idNode = entries["id"] else {
            reader.missing("id", in: entries, "fleet")
            return nil
        }
        guard let countNode = entries["count"] else {
            reader.missing("count", in: entries, "fleet")
            return nil
        }
        let pattern = readPattern(idNode, reader: &reader)
        guard let countText = reader.string(countNode, "count") else { return nil }
        guard let count = Int(countText), count >= 1 else {
            reader.error("fleet count must be a whole number of at least 1, not '\(countText)'", at: countNode)
            return nil
        }
        guard count <= FleetSpec.maximumCount else {
            reader.error("fleet count \(count) is beyond the limit of \(FleetSpec.maximumCount) devices per fleet; split it into several fleets or shards", at: countNode)
            return nil
        }
        guard let pattern else { return nil }
        do {
            try pattern.check(count: count)
        } catch {
            reader.error(error.message, at: idNode)
            return nil
        }
        // The template: the device keys, with the first member's id.
        var template = entries
        template.items.removeAll { item in Vocabulary.fleetOwnKeys.contains { $0.name == item.key } }
        let firstID = pattern.id(for: 0).string
        template.items.append(("id", idNode, Node.scalar(Node.Scalar(firstID.replacingOccurrences(of: "${", with: "$${"), .implicit, .plain, idNode.mark))))
        guard let spec = DeviceParser.read(template, overrides: overrides, reader: &reader) else { return nil }
        if spec.kind == .serial {
            reader.error("a fleet cannot be of kind 'serial': one board sits on one port; declare boards as devices", at: entries["kind"] ?? entries.node)
            return nil
        }
        var fleet = FleetSpec(name: name, idPattern: pattern, count: count, template: spec)
        if let node = entries["connect_rate"] { fleet.connectRate = readRate(node, reader: &reader) }
        if let node = entries["group_key"], let text = reader.string(node, "group_key") {
            reader.markSecret(text)
            do {
                fleet.groupKey = try DeviceKey(base64: text)
            } catch {
                reader.error("group_key: \(error)", at: node)
            }
        }
        if let node = entries["keys_file"], let path = reader.string(node, "keys_file") {
            let folder = URL(fileURLWithPath: reader.file).deletingLastPathComponent()
            let resolved = path.hasPrefix("/") ? path : folder.appendingPathComponent(path).path
            switch FleetKeysFile.read(path: resolved) {
            case .success(let keys):
                fleet.listedKeys = keys
                for key in keys.values { reader.markSecret(key.base64) }
            case .failure(let problem):
                reader.error("keys_file: \(problem.message)", at: node)
            }
        }
        if let shard { fleet.members = FleetSpec.shardRange(fleetCount: count, shard: shard.index, of: shard.count) }
        return fleet
    }

    /// The id pattern: `${index}` stays, other variables are substituted.
    private static func readPattern(_ node: Node, reader: inout YAMLReader) -> FleetIDPattern? {
        guard let raw = reader.literal(node, "fleet id") else { return nil }
        do {
            let text = try reader.variables.substitute(in: raw.replacingOccurrences(of: "${index", with: "$${index")).text
            return try FleetIDPattern(parsing: text)
        } catch let error as FleetPatternError {
            reader.error(error.message, at: node)
        } catch let error as VariableError {
            reader.error("fleet id: \(error.message)", at: node)
        } catch {
            reader.error("fleet id: \(error)", at: node)
        }
        return nil
    }

    /// The slowest and fastest connect rates: one connect a hundred seconds, a million a
    /// second (the most ``Devices/ConnectPacer`` paces).
    static let minimumRate = 0.01
    static let maximumRate = 1_000_000.0

    /// `1000/s` or a plain number of connects per second.
    private static func readRate(_ node: Node, reader: inout YAMLReader) -> Double? {
        guard let text = reader.string(node, "connect_rate") else { return nil }
        let number = text.hasSuffix("/s") ? String(text.dropLast(2)) : text
        guard let rate = Double(number), rate >= minimumRate, rate <= maximumRate else {
            reader.error("connect_rate takes connects per second from \(minimumRate) to \(Int(maximumRate)), such as 1000/s, not '\(text)'", at: node)
            return nil
        }
        return rate
    }
}
