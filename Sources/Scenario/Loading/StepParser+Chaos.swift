import Foundation
import Yams

/// `chaos:` blocks.
extension StepParser {
    /// `chaos: { for: 1m, every: 5s..20s, faults: [...], invariants: [...], seed: 7 }` with
    /// `steps:` beside it.
    mutating func readChaos(_ value: Node, entries: YAMLReader.Entries, number: StepNumber) -> ChaosBlock? {
        guard number.path.count == 1 else {
            reader.error("a 'chaos' block goes at the top of the steps, not inside another block", at: value)
            return nil
        }
        guard let options = reader.mapping(value, "chaos", keys: Vocabulary.chaos) else { return nil }
        var complete = true
        for key in ["for", "every", "faults", "invariants"] where options[key] == nil {
            reader.missing(key, in: options, "chaos")
            complete = false
        }
        guard let stepsNode = entries["steps"] else {
            reader.missing("steps", in: entries, "chaos")
            return nil
        }
        let steps = readSteps(stepsNode, prefix: number.path)
        guard complete, let forNode = options["for"], let everyNode = options["every"], let faultsNode = options["faults"], let invariantsNode = options["invariants"] else { return nil }
        // Every part is read, so all its mistakes are reported at once.
        var duration = reader.duration(forNode, "chaos for")
        if let value = duration, value <= .zero {
            reader.error("chaos 'for' must be longer than 0", at: forNode)
            duration = nil
        }
        let interval = readInterval(everyNode)
        let faultNodes = faultsNode.sequence ?? []
        if faultNodes.count > 1000 {
            reader.error("chaos 'faults' lists \(faultNodes.count) faults; at most 1000", at: faultsNode)
            return nil
        }
        if faultNodes.isEmpty {
            reader.error("chaos 'faults' must be a list of faults, for example [{ kind: drop }, { kind: blackhole, for: 5s }]", at: faultsNode)
        }
        var faults: [FaultSpec] = []
        for node in faultNodes {
            guard let fault = readFault(node) else { continue }
            if fault.duration == nil, !fault.kind.isMomentary {
                reader.error("a chaos fault needs its own 'for' (how long each strike lasts), for example { kind: \(fault.kind.name), for: 5s }", at: node)
                continue
            }
            faults.append(fault)
        }
        let invariants = readInvariants(invariantsNode)
        var seed: UInt64?
        if let node = options["seed"] { seed = reader.integer(node, "seed", in: UInt64.min...UInt64.max) }
        guard let duration, let interval, let invariants, !faultNodes.isEmpty, faults.count == faultNodes.count else { return nil }
        return ChaosBlock(duration: duration, interval: interval, faults: faults, steps: steps, invariants: invariants, seed: seed)
    }

    /// `10s` or `5s..20s`.
    private mutating func readInterval(_ node: Node) -> ClosedRange<Duration>? {
        guard let text = reader.string(node, "chaos every") else { return nil }
        let parts = text.components(separatedBy: "..")
        guard parts.count == 1 || parts.count == 2 else {
            reader.error("chaos 'every' is a duration or a range such as 5s..20s, not '\(text)'", at: node)
            return nil
        }
        var bounds: [Duration] = []
        for part in parts {
            switch ScenarioDuration.parse(part) {
            case .success(let duration): bounds.append(duration)
            case .failure(let error):
                reader.error("chaos every: \(error)", at: node)
                return nil
            }
        }
        guard let low = bounds.first, let high = bounds.last, low > .zero, low <= high else {
            reader.error("chaos 'every' must be longer than 0, its shortest wait first (5s..20s)", at: node)
            return nil
        }
        guard low >= .milliseconds(10) else {
            reader.error("chaos 'every' must be at least 10ms: faults striking faster leave the devices nothing to recover in", at: node)
            return nil
        }
        return low...high
    }

    /// `[delivered, led_follows_delivered, { reconnected_within: 30s }]`.
    private mutating func readInvariants(_ node: Node) -> [ChaosInvariant]? {
        let names = ["delivered", "led_follows_delivered", "reconnected_within"]
        guard let items = node.sequence, !items.isEmpty else {
            reader.error("chaos 'invariants' must list what must hold (\(names.joined(separator: ", "))): a chaos block without invariants checks nothing", at: node)
            return nil
        }
        var invariants: [ChaosInvariant] = []
        var valid = true
        for item in items {
            if let name = item.scalar.flatMap({ _ in reader.string(item, "invariant") }) {
                switch name {
                case "delivered": invariants.append(.delivered)
                case "led_follows_delivered": invariants.append(.ledFollowsDelivered)
                case "reconnected_within":
                    reader.error("reconnected_within needs its time: { reconnected_within: 30s }", at: item)
                    valid = false
                default:
                    reader.error("unknown invariant '\(name)'\(Suggestions.hint(for: name, in: names)); known: \(names.joined(separator: ", "))", at: item)
                    valid = false
                }
                continue
            }
            guard let entries = reader.mapping(item, "invariant", allowed: ["reconnected_within"]), let durationNode = entries["reconnected_within"],
                let duration = reader.duration(durationNode, "reconnected_within")
            else {
                valid = false
                continue
            }
            invariants.append(.reconnectedWithin(duration))
        }
        let kinds = invariants.map { invariant -> String in
            if case .reconnectedWithin = invariant { return "reconnected_within" }
            return invariant.description
        }
        if Set(kinds).count != kinds.count {
            reader.error("chaos 'invariants' names an invariant twice; each once", at: node)
            valid = false
        }
        return valid ? invariants : nil
    }
}
