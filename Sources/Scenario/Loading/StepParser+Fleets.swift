import Foundation
import IoTHubCore
import Yams

/// Steps that address fleets: `device: sensors`, `device: sensors[0..99]`, one member by id,
/// or `device: { fleet: sensors, percent: 10, seed: 7 }`.
extension StepParser {
    /// A fleet name, `name[a..b]`, or a member's id.
    mutating func fleetSelection(named text: String, at node: Node) -> FleetSelection? {
        if let fleet = fleets.first(where: { $0.name == text }) { return FleetSelection(fleet: fleet.name) }
        if text.hasSuffix("]"), let open = text.firstIndex(of: "[") {
            let name = String(text[..<open])
            let inside = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
            guard let fleet = fleets.first(where: { $0.name == name }) else {
                unknown(name, at: node)
                return nil
            }
            guard let range = readRange(inside, of: fleet, at: node) else { return nil }
            return FleetSelection(fleet: fleet.name, subset: .range(range))
        }
        for fleet in fleets {
            if let index = fleet.idPattern.index(of: text), index < fleet.count {
                return FleetSelection(fleet: fleet.name, subset: .range(index...index))
            }
        }
        unknown(text, at: node)
        return nil
    }

    /// `{ fleet: NAME, range: a..b | percent: P | sample: N, seed: S }`.
    mutating func readSelection(_ node: Node) -> FleetSelection? {
        guard let entries = reader.mapping(node, "device", keys: Vocabulary.fleetSelection) else { return nil }
        guard let nameNode = entries["fleet"] else {
            reader.missing("fleet", in: entries, "device selection")
            return nil
        }
        guard let name = reader.string(nameNode, "fleet") else { return nil }
        guard let fleet = fleets.first(where: { $0.name == name }) else {
            unknown(name, at: nameNode)
            return nil
        }
        let subsets = entries.items.filter { ["range", "percent", "sample"].contains($0.key) }
        guard subsets.count <= 1 else {
            reader.error("give one of range, percent and sample, not \(subsets.map(\.key).joined(separator: " and "))", at: node)
            return nil
        }
        var seed: UInt64 = 0
        if let seedNode = entries["seed"] {
            guard let value = reader.integer(seedNode, "seed", in: UInt64.min...UInt64.max) else { return nil }
            seed = value
            if subsets.first.map({ $0.key == "range" }) ?? true {
                reader.error("'seed' chooses a random percent or sample; a range or the whole fleet needs none", at: seedNode)
            }
        }
        guard let (key, _, value) = subsets.first else { return FleetSelection(fleet: fleet.name) }
        switch key {
        case "range":
            guard let text = reader.string(value, "range"), let range = readRange(text, of: fleet, at: value) else { return nil }
            return FleetSelection(fleet: fleet.name, subset: .range(range))
        case "percent":
            guard let text = reader.string(value, "percent") else { return nil }
            let number = text.hasSuffix("%") ? String(text.dropLast()) : text
            guard let percent = Double(number), percent > 0, percent <= 100 else {
                reader.error("percent takes a number above 0 and up to 100, not '\(text)'", at: value)
                return nil
            }
            return FleetSelection(fleet: fleet.name, subset: .percent(percent, seed: seed))
        default:
            guard let size = reader.integer(value, "sample", in: 1...fleet.count) else { return nil }
            return FleetSelection(fleet: fleet.name, subset: .sample(size, seed: seed))
        }
    }

    /// `a..b`: member indices, both within the fleet.
    private mutating func readRange(_ text: String, of fleet: FleetSpec, at node: Node) -> ClosedRange<Int>? {
        let parts = text.components(separatedBy: "..")
        guard parts.count == 2, let lower = Int(parts[0].trimmingCharacters(in: .whitespaces)), let upper = Int(parts[1].trimmingCharacters(in: .whitespaces)) else {
            reader.error("a fleet range is 'first..last' member indices such as 0..99, not '\(text)'", at: node)
            return nil
        }
        guard lower >= 0, lower <= upper, upper < fleet.count else {
            reader.error("range \(lower)..\(upper) is not within fleet '\(fleet.name)', whose members are 0..\(fleet.count - 1)", at: node)
            return nil
        }
        return lower...upper
    }

    private mutating func unknown(_ text: String, at node: Node) {
        let known = deviceIDs.map(\.string) + fleets.map(\.name)
        reader.error("unknown device or fleet '\(text)'\(Suggestions.hint(for: text, in: known)); the scenario's devices and fleets are \(known.joined(separator: ", "))", at: node)
    }

    /// What fleet steps cannot do, and `devices:` only on fleet steps.
    mutating func checkFleetStep(_ step: Step, at entries: YAMLReader.Entries) {
        guard case .expect(let expectation) = step.kind else {
            if step.fleet != nil, case .sendBytes = step.kind {
                reader.error("send_bytes goes to one device of kind 'client', not to a fleet", at: step.location)
            }
            return
        }
        guard step.fleet != nil else {
            if expectation.quorum != nil {
                reader.error("'devices' (and a subject's 'all') counts the members of a fleet; step \(step.number) concerns \(step.device.map { "device '\($0)'" } ?? "no fleet")", at: step.location)
            }
            return
        }
        for leaf in expectation.subject.leaves {
            switch leaf {
            case .packet, .bytes, .oneOf, .queued:
                // connack { reason }, disconnect and publish are packet expectations too: say which packet.
                let what = if case .packet(let matcher) = leaf { "'\(leaf.name)' (a \(matcher.type) expectation)" } else { "'\(leaf.name)'" }
                reader.error("\(what) is checked on one device; a fleet's members are recorded by their events (connections, LED, messages), not packet by packet", at: step.location)
            default:
                break
            }
        }
        if case .oneOf = expectation.subject {
            reader.error("'one_of' is checked on one device, not on a fleet", at: step.location)
        }
        if expectation.after != nil {
            reader.error("'after' orders the observations of one device, not of a fleet", at: step.location)
        }
    }
}
