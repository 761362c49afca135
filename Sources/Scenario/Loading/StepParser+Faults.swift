import Foundation
import IoTHubCore
import Yams

/// `fault:` and `heal:` steps.
extension StepParser {
    /// `fault: { kind: blackhole, device: esp8266, for: 30s }`, with the settings its kind
    /// takes and no other kind's.
    mutating func readFault(_ value: Node) -> FaultSpec? {
        guard value.mapping != nil else {
            reader.error("fault needs a mapping with its kind, for example fault: { kind: drop, device: esp8266 }", at: value)
            return nil
        }
        guard let options = reader.mapping(value, "fault", keys: Vocabulary.fault) else { return nil }
        guard let kindNode = options["kind"] else {
            reader.missing("kind", in: options, "fault")
            return nil
        }
        guard let name = reader.string(kindNode, "fault kind") else { return nil }
        let names = Vocabulary.faultKinds.map(\.name)
        guard names.contains(name) else {
            reader.error("unknown fault kind '\(name)'\(Suggestions.hint(for: name, in: names)); known: \(names.joined(separator: ", "))", at: kindNode)
            return nil
        }
        var valid = true
        let taken = Vocabulary.fault.names(takenBy: name)
        for item in options.items where !taken.contains(item.key) {
            let settings = taken.filter { !["kind", "device", "for"].contains($0) }
            reader.error(
                "'\(item.key)' is not a setting of a \(name) fault; " + (settings.isEmpty ? "it takes only kind, device and for" : "it takes \(settings.joined(separator: ", "))"),
                at: item.keyNode
            )
            valid = false
        }
        guard valid, let kind = readFaultKind(name, options) else { return nil }
        var duration: Duration?
        if let node = options["for"] {
            if kind.isMomentary {
                reader.error("a \(name) fault happens once, when the step runs; it takes no 'for'", at: options.items.first { $0.key == "for" }?.keyNode ?? node)
                return nil
            }
            guard let value = reader.duration(node, "fault for") else { return nil }
            guard value > .zero else {
                reader.error("fault 'for' must be longer than 0", at: node)
                return nil
            }
            duration = value
        }
        if kind.family == .tls, let node = options.items.first(where: { $0.key == "device" })?.keyNode {
            reader.error("a \(name) fault changes the hub's certificate, which every device sees at its next TLS handshake; it takes no 'device'", at: node)
            return nil
        }
        guard let target = readFaultTarget(options["device"], isHubFault: kind.needsSimulatedHub, at: kindNode) else { return nil }
        return FaultSpec(kind: kind, target: target, duration: duration)
    }

    /// `heal: {}`, `heal: { kind: blackhole, device: esp8266 }`.
    mutating func readHeal(_ value: Node) -> FaultHeal? {
        guard !reader.isNull(value) else { return FaultHeal() }
        guard let options = reader.mapping(value, "heal", keys: Vocabulary.heal) else { return nil }
        var heal = FaultHeal()
        if let node = options["kind"] {
            guard let name = reader.string(node, "heal kind") else { return nil }
            let names = Vocabulary.faultKinds.map(\.name)
            guard names.contains(name) else {
                reader.error("unknown fault kind '\(name)'\(Suggestions.hint(for: name, in: names)); known: \(names.joined(separator: ", "))", at: node)
                return nil
            }
            heal.kind = name
        }
        if let node = options["device"] {
            guard let target = readFaultTarget(node, isHubFault: false, at: node) else { return nil }
            heal.target = target
        }
        return heal
    }

    private mutating func readFaultKind(_ name: String, _ options: YAMLReader.Entries) -> FaultKind? {
        var direction = FaultDirection.both
        if let node = options["direction"] {
            guard let text = reader.string(node, "direction") else { return nil }
            guard let value = FaultDirection(rawValue: text) else {
                let names = FaultDirection.allCases.map(\.rawValue)
                reader.error("direction '\(text)' is not one of \(names.joined(separator: ", "))\(Suggestions.hint(for: text, in: names))", at: node)
                return nil
            }
            direction = value
        }
        switch name {
        case "drop": return .drop
        case "close": return .close
        case "blackhole": return .blackhole
        case "refuse": return .refuse
        case "partition": return .partition
        case "restart": return .restart
        case "throttle": return .throttle
        case "auth_error": return .authError
        case "quota_exceeded": return .quotaExceeded
        case "certificate_expired": return .certificateExpired
        case "certificate_wrong_name": return .certificateWrongName
        case "certificate_untrusted": return .certificateUntrusted
        case "ca_rotation": return .caRotation
        case "clock_skew":
            guard let node = options["skew"] else {
                reader.missing("skew", in: options, "a clock_skew fault")
                return nil
            }
            return readSkew(node).map { .clockSkew($0) }
        case "delay":
            guard let node = options["delay"] else {
                reader.missing("delay", in: options, "a delay fault")
                return nil
            }
            guard let delay = reader.duration(node, "delay") else { return nil }
            var jitter = Duration.zero
            if let node = options["jitter"] {
                guard let value = reader.duration(node, "jitter") else { return nil }
                guard value <= delay else {
                    reader.error("jitter (\(ScenarioDuration.format(value))) must not exceed the delay (\(ScenarioDuration.format(delay))): bytes cannot leave before they arrive", at: node)
                    return nil
                }
                jitter = value
            }
            guard delay > .zero, delay <= .seconds(3600) else {
                reader.error("delay must be longer than 0 and at most 1h (a longer one is a blackhole)", at: node)
                return nil
            }
            return .delay(delay, jitter: jitter, direction: direction)
        case "bandwidth":
            guard let node = options["bytes_per_second"] else {
                reader.missing("bytes_per_second", in: options, "a bandwidth fault")
                return nil
            }
            return reader.integer(node, "bytes_per_second", in: 1...1_000_000_000).map { .bandwidth(bytesPerSecond: $0, direction: direction) }
        case "slice":
            guard let node = options["bytes"] else {
                reader.missing("bytes", in: options, "a slice fault")
                return nil
            }
            return reader.integer(node, "bytes", in: 1...65_536).map { .slice(bytes: $0, direction: direction) }
        default:
            reader.error("internal error: the vocabulary's fault kind '\(name)' has no reader", at: options.node)
            return nil
        }
    }

    /// `skew: 10m`, `skew: -10m`: how far a device's clock is off, at most a year either way.
    private mutating func readSkew(_ node: Node) -> Duration? {
        guard let text = reader.string(node, "skew") else { return nil }
        var magnitude = text.trimmingCharacters(in: [" "])
        var sign: Int64 = 1
        if let first = magnitude.first, first == "-" || first == "+" {
            sign = first == "-" ? -1 : 1
            magnitude = String(magnitude.dropFirst()).trimmingCharacters(in: [" "])
        }
        switch ScenarioDuration.parse(magnitude) {
        case .success(let duration):
            guard duration > .zero else {
                reader.error("skew must not be 0: a clock that is not off is no fault", at: node)
                return nil
            }
            guard duration <= .seconds(365 * 86_400) else {
                reader.error("skew '\(text)' is more than a year; a clock that far off is not a skew", at: node)
                return nil
            }
            return sign < 0 ? .zero - duration : duration
        case .failure(let failure):
            reader.error("skew: '\(text)' is not a duration: \(failure.reason) (write for example 10m, or -10m for a clock behind)", at: node)
            return nil
        }
    }

    /// `device: esp8266`, `device: all`, or (without it) the only device; a hub fault without
    /// it strikes the hub.
    private mutating func readFaultTarget(_ node: Node?, isHubFault: Bool, at anchor: Node) -> FaultTarget? {
        guard let node else {
            if isHubFault { return .hub }
            guard deviceIDs.count == 1, let only = deviceIDs.first else {
                reader.error("this fault needs 'device:' (one of \(deviceIDs.map(\.string).joined(separator: ", ")), or all) because the scenario has several devices", at: anchor)
                return nil
            }
            return .device(only)
        }
        guard let text = reader.string(node, "device") else { return nil }
        if text == "all" { return .allDevices }
        guard let id = deviceIDs.first(where: { $0.string == text }) else {
            let known = deviceIDs.map(\.string)
            let devices = known.isEmpty ? "the scenario has no valid device" : "the scenario's devices are \(known.joined(separator: ", ")) (or all)"
            reader.error("unknown device '\(text)'\(Suggestions.hint(for: text, in: known + ["all"])); \(devices)", at: node)
            return nil
        }
        return .device(id)
    }
}
