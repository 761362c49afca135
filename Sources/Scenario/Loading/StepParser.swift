import IoTHubCore
import MQTTCore
import Yams

/// Reads the `steps:` list: each item is a mapping with exactly one action, `expect` or
/// `repeat`, optionally with `device:` naming the device it concerns.
struct StepParser {
    /// The keys of the actions (`connect`, ..., `expect`, `repeat`).
    static let actionKeys = Vocabulary.actions.map(\.name)
    /// Steps that concern the hub or time rather than one device.
    static let deviceless = Set(Vocabulary.actions.filter { !$0.concernsDevice }.map(\.name))

    let deviceIDs: [DeviceID]
    /// The scenario's fleets: steps may address a fleet, a part of it, or one member.
    let fleets: [FleetSpec]
    var reader: YAMLReader
    /// The standard whose statements `statements:` ids name (an `MQTT-` id must be one of
    /// its statements); MQTT 3.1.1 unless one of the scenario's devices speaks 5.0
    /// (``NormativeStatements/spoken(by:)``).
    var standard = NormativeStatements.mqtt311
    /// Steps read so far, repeat and chaos blocks included: YAML aliases can make a short file
    /// name millions of steps, so reading stops at ``maximumSteps``.
    private(set) var stepsRead = 0
    private var reportedTooMany = false

    /// The most steps a scenario may hold, blocks included.
    static let maximumSteps = 100_000

    /// The MQTT version of each device (3.1.1 when absent): a 5.0-only key on a step of a
    /// 3.1.1 device is an error, and a publish step's `properties` are MQTT 5.0 properties
    /// on a 5.0 device.
    var protocols: [DeviceID: MQTTProtocolVersion] = [:]
    /// The device the step being read concerns (`nil` for a fleet or no device).
    var currentDevice: DeviceID?
    /// The fleet the step being read concerns, by name (`nil` for one device or none).
    var currentFleet: String?
    /// MQTT 5.0 keys read in expectations, checked against the devices' versions once every
    /// step is read (a raw client's own CONNECT decides its version).
    var expectationVersionUses: [ExpectationVersionUse] = []

    init(deviceIDs: [DeviceID], fleets: [FleetSpec] = [], reader: YAMLReader) {
        self.deviceIDs = deviceIDs
        self.fleets = fleets
        self.reader = reader
    }

    /// - Parameter first: the number of the first step (a `finally:` part numbers on from
    ///   the last step).
    ///   - what: the key the list is under (`steps`, `finally`), as errors name it.
    mutating func readSteps(_ node: Node, prefix: [Int] = [], first: Int = 1, what: String = "steps") -> [Step] {
        guard let sequence = node.sequence else {
            reader.error("\(what) must be a list (each item starting with '- '), not \(reader.describe(node))", at: node)
            return []
        }
        if sequence.isEmpty { reader.error("\(what) must hold at least one step", at: node) }
        var steps: [Step] = []
        for (index, item) in sequence.enumerated() {
            stepsRead += 1
            guard stepsRead <= Self.maximumSteps else {
                if !reportedTooMany {
                    reportedTooMany = true
                    reader.error("the scenario holds more than \(Self.maximumSteps) steps (YAML aliases count each time they are used); split it", at: item)
                }
                return steps
            }
            let number = StepNumber(path: prefix + [index + first])
            if let step = readStep(item, number: number) { steps.append(step) }
        }
        return steps
    }

    private mutating func readStep(_ item: Node, number: StepNumber) -> Step? {
        let what = "step \(number)"
        if let text = item.scalar?.string, Self.actionKeys.contains(text) {
            reader.error("\(what) is just '\(text)'; write '- \(text): {}' (or with its options)", at: item)
            return nil
        }
        guard let entries = reader.mapping(item, what, keys: Vocabulary.step) else { return nil }
        let actions = entries.items.filter { Self.actionKeys.contains($0.key) }
        guard actions.count == 1, let (key, keyNode, value) = actions.first else {
            if item.mapping?.count == 0 {
                reader.error("\(what) is empty; give one of \(Self.actionKeys.joined(separator: ", "))", at: item)
            } else if actions.count > 1 {
                reader.error("\(what) has \(actions.map(\.key).joined(separator: " and ")); one step does one thing (split it into several list items)", at: item)
            } else if entries.items.count == item.mapping?.count {
                reader.error("\(what) has no action; give one of \(Self.actionKeys.joined(separator: ", "))", at: item)
            }
            return nil
        }
        for extra in Vocabulary.stepKeys.keys where extra.name != "device" && !extra.forms.isEmpty && !extra.forms.contains(key) {
            if let node = entries[extra.name] { reader.error("'\(extra.name)' belongs to a '\(extra.forms.joined(separator: "' or '"))' step, not '\(key)'", at: node) }
        }
        let (device, fleet) = resolveSubject(entries["device"], step: key, at: keyNode)
        let location = reader.location(of: keyNode)
        var statements: [String] = []
        if let node = entries["statements"] {
            if number.path.count > 1 {
                reader.error("'statements' belong to top-level steps (a 'repeat' block is decided as a whole); put them on the 'repeat' step", at: node)
            } else {
                statements = readStatements(node)
            }
        }
        currentDevice = Self.deviceless.contains(key) ? nil : device
        currentFleet = Self.deviceless.contains(key) ? nil : fleet?.fleet
        if fleet != nil { currentDevice = nil }
        guard let kind = readKind(key, value, entries: entries, number: number) else { return nil }
        var step = Step(number: number, location: location, kind: kind, device: Self.deviceless.contains(key) ? nil : device)
        step.fleet = Self.deviceless.contains(key) ? nil : fleet
        step.statements = statements
        checkFleetStep(step, at: entries)
        return step
    }

    /// `statements: [MQTT-3.1.2-24, ...]`: the ids of the normative statements a step (or,
    /// at the top, every step) checks; none twice, and an `MQTT-` id must be one of the
    /// ``standard``'s. Other ids are a pack's own names.
    mutating func readStatements(_ node: Node) -> [String] {
        guard let sequence = node.sequence else {
            reader.error("statements must be a list of statement ids, for example [MQTT-3.1.2-24]", at: node)
            return []
        }
        var statements: [String] = []
        for item in sequence {
            guard let id = reader.nonEmptyString(item, "statement id") else { continue }
            if id.contains(where: \.isWhitespace) {
                reader.error("statement id '\(id)' must not contain spaces", at: item)
            } else if statements.contains(id) {
                reader.error("statement id '\(id)' is listed twice", at: item)
            } else if let problem = standard.problem(with: id) {
                reader.error(problem, at: item)
            } else {
                statements.append(id)
            }
        }
        return statements
    }

    /// The device or fleet members a step concerns: its `device:` key, or the only device (or
    /// the only fleet, when the scenario has no device of its own).
    private mutating func resolveSubject(_ node: Node?, step: String, at keyNode: Node) -> (DeviceID?, FleetSelection?) {
        if let node, !Self.deviceless.contains(step), step != "fault", step != "heal", !fleets.isEmpty {
            if node.mapping != nil { return (nil, readSelection(node)) }
            if let text = node.scalar?.string, !deviceIDs.contains(where: { $0.string == text }) {
                guard let selection = fleetSelection(named: text, at: node) else { return (nil, nil) }
                return (nil, selection)
            }
        }
        if node == nil, deviceIDs.isEmpty, fleets.count == 1, let fleet = fleets.first, !Self.deviceless.contains(step) {
            return (nil, FleetSelection(fleet: fleet.name))
        }
        return (resolveDevice(node, step: step, at: keyNode), nil)
    }

    /// The device a step concerns: its `device:` key, or the only device.
    private mutating func resolveDevice(_ node: Node?, step: String, at keyNode: Node) -> DeviceID? {
        if let node {
            if step == "fault" || step == "heal" {
                reader.error("'\(step)' names its device inside: \(step): { kind: ..., device: ... }", at: node)
                return nil
            }
            if Self.deviceless.contains(step) {
                reader.error("'\(step)' does not concern one device; remove 'device'", at: node)
                return nil
            }
            guard let text = reader.string(node, "device") else { return nil }
            guard let id = deviceIDs.first(where: { $0.string == text }) else {
                let known = deviceIDs.map(\.string) + fleets.map(\.name)
                let devices = known.isEmpty ? "the scenario has no valid device or fleet" : "the scenario's devices are \(known.joined(separator: ", "))"
                reader.error("unknown device '\(text)'\(Suggestions.hint(for: text, in: known)); \(devices)", at: node)
                return nil
            }
            return id
        }
        guard !Self.deviceless.contains(step) else { return nil }
        if deviceIDs.count + fleets.count > 1 {
            let names = deviceIDs.map(\.string) + fleets.map(\.name)
            reader.error("'\(step)' needs 'device:' because the scenario has several devices or fleets (\(names.joined(separator: ", ")))", at: keyNode)
            return nil
        }
        return deviceIDs.first
    }

    private mutating func readKind(_ key: String, _ value: Node, entries: YAMLReader.Entries, number: StepNumber) -> Step.Kind? {
        switch key {
        case "connect":
            return readConnect(value)
        case "subscribe", "unsubscribe":
            return readSubscription(key, value)
        case "send":
            guard var spec = readSend(value) else { return nil }
            spec.payloadHoldsSecret = holdsSecret(spec.payloadText)
            return .send(spec)
        case "publish":
            guard var spec = readPublish(value) else { return nil }
            spec.payloadHoldsSecret = holdsSecret(spec.payload)
            return .publish(spec)
        case "disconnect":
            return readDisconnect(value)
        case "restart", "expire_token", "revoke":
            if !reader.isNull(value), reader.mapping(value, key, allowed: [])?.items.isEmpty != true { return nil }
            switch key {
            case "restart": return .restart
            case "expire_token": return .expireToken
            default: return .revoke
            }
        case "provision":
            return readProvision(value).map(Step.Kind.provision)
        case "send_bytes":
            return readHex(value, "send_bytes").map(Step.Kind.sendBytes)
        case "advance_clock":
            guard let duration = reader.duration(value, "advance_clock") else { return nil }
            guard duration > .zero else {
                reader.error("advance_clock must be positive: the hub's clock never runs backwards", at: value)
                return nil
            }
            return .advanceClock(duration)
        case "wait":
            return reader.duration(value, "wait").map(Step.Kind.wait)
        case "fault":
            return readFault(value).map(Step.Kind.fault)
        case "heal":
            return readHeal(value).map(Step.Kind.heal)
        case "expect":
            var parser = ExpectationParser(reader: reader)
            let expectation = parser.read(value)
            reader = parser.reader
            for use in parser.versionUses {
                expectationVersionUses.append(ExpectationVersionUse(device: currentDevice, fleet: currentFleet, key: use.key, location: use.location))
            }
            return expectation.map(Step.Kind.expect)
        case "repeat":
            return readRepeat(value, entries: entries, number: number).map(Step.Kind.repeatBlock)
        case "chaos":
            return readChaos(value, entries: entries, number: number).map(Step.Kind.chaos)
        default:
            reader.error("internal error: the vocabulary's action '\(key)' has no reader", at: value)
            return nil
        }
    }

    /// Hex text as bytes; a bad character is reported at its own column when the text is on
    /// one line.
    mutating func readHex(_ node: Node, _ what: String) -> HexBytes? {
        guard let text = reader.string(node, what) else { return nil }
        do {
            return try HexBytes(parsing: text)
        } catch {
            var location = reader.location(of: node)
            if let scalar = node.scalar, !text.contains("\n"), scalar.string == text {
                let quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted
                location.column += error.offset + (quoted ? 1 : 0)
            }
            reader.error("\(what): \(error.message)", at: location)
            return nil
        }
    }

    mutating func readQoS(_ node: Node) -> MQTTQoS? {
        reader.integer(node, "qos", in: UInt8(0)...UInt8(2)).flatMap(MQTTQoS.init(rawValue:))
    }

    /// `properties: { name: value, bare: null }` as a property bag.
    mutating func readProperties(_ node: Node) -> PropertyBag? {
        guard let mapping = node.mapping else {
            reader.error("properties must be a mapping of names to values, not \(reader.describe(node))", at: node)
            return nil
        }
        var bag = PropertyBag()
        for (keyNode, valueNode) in mapping {
            guard let name = reader.nonEmptyString(keyNode, "property name") else { continue }
            bag.append(name, reader.isNull(valueNode) ? nil : reader.string(valueNode, "property '\(name)'"))
        }
        return bag
    }

    private mutating func readSend(_ value: Node) -> SendSpec? {
        if reader.isNull(value) {
            reader.error("send needs a payload, for example send: \"on\"", at: value)
            return nil
        }
        if value.scalar != nil { return reader.string(value, "send payload").map { SendSpec(payload: $0) } }
        guard let options = reader.mapping(value, "send", keys: Vocabulary.send) else { return nil }
        guard let payloadNode = options["payload"] else {
            reader.missing("payload", in: options, "send")
            return nil
        }
        guard let payload = reader.string(payloadNode, "send payload") else { return nil }
        var spec = SendSpec(payload: readPayloadSize(options, seed: payload, payloadNode: payloadNode, "send"))
        if let node = options["refused"] { spec.refusal = readRefusal(node) }
        if let node = options["properties"], let bag = readProperties(node) { spec.message.properties = bag }
        if let node = options["message_id"] { spec.message.messageID = reader.nonEmptyString(node, "message_id") }
        if let node = options["correlation_id"] { spec.message.correlationID = reader.nonEmptyString(node, "correlation_id") }
        if let node = options["ttl"], let ttl = reader.duration(node, "ttl") {
            do {
                spec.message.timeToLive = try CloudToDeviceMessage.TimeToLive(ttl)
            } catch {
                reader.error("ttl must be from 1m to 2d, as on IoT Hub", at: node)
            }
        }
        if let node = options["ack"], let text = reader.string(node, "ack") {
            if let acknowledgement = CloudToDeviceMessage.Acknowledgement(rawValue: text) {
                spec.message.acknowledgement = acknowledgement
            } else {
                let allowed = CloudToDeviceMessage.Acknowledgement.spellings
                reader.error("ack must be one of \(allowed.joined(separator: ", ")), not '\(text)'\(Suggestions.hint(for: text, in: allowed))", at: node)
            }
        }
        return spec
    }

    /// `payload_size: N`: the payload repeated, and cut, to exactly N bytes (for limit tests).
    mutating func readPayloadSize(_ options: YAMLReader.Entries, seed: String, payloadNode: Node, _ what: String) -> String {
        guard let node = options["payload_size"] else { return seed }
        guard let size = reader.integer(node, "\(what) payload_size", in: 1...Vocabulary.maximumPayloadSize) else { return seed }
        guard seed.utf8.allSatisfy({ $0 < 0x80 }) else {
            reader.error("with payload_size the payload must be ASCII (it is repeated byte by byte)", at: payloadNode)
            return seed
        }
        guard !holdsSecret(seed) else {
            reader.error("with payload_size the payload must not hold a secret: the last copy could cut it, and a cut secret escapes masking", at: payloadNode)
            return seed
        }
        return PayloadText.expand(seed, toSize: size)
    }

    /// Whether `payload` holds a value the reports mask.
    private func holdsSecret(_ payload: String) -> Bool {
        reader.secretValues.contains { !$0.isEmpty && payload.contains($0) }
    }

    /// `refused: true` (any refusal) or `refused: ERROR_CODE`; `refused: false` is the default.
    private mutating func readRefusal(_ node: Node) -> CloudToDeviceRefusal? {
        guard let text = reader.string(node, "refused") else { return nil }
        // The words `bool` takes, so `refused: off` is not read as an error code "off".
        switch text.lowercased() {
        case "true", "yes", "on", "1": return .any
        case "false", "no", "off", "0": return nil
        default: break
        }
        guard let first = text.unicodeScalars.first, ("A"..."Z").contains(first) || ("a"..."z").contains(first),
            text.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) })
        else {
            reader.error("refused must be true or an IoT Hub error code such as DeviceMaximumQueueDepthExceeded, not '\(text)'", at: node)
            return nil
        }
        let known = IoTHubErrorCode.cloudToDeviceRefusals.map(\.rawValue)
        if !known.contains(text), let closest = Suggestions.closest(to: text, in: known) {
            reader.error("unknown error code '\(text)' (did you mean '\(closest)'?)", at: node)
            return nil
        }
        return .code(text)
    }

    private mutating func readRepeat(_ value: Node, entries: YAMLReader.Entries, number: StepNumber) -> RepeatBlock? {
        guard number.path.count == 1 else {
            reader.error("a 'repeat' block cannot hold another 'repeat'", at: value)
            return nil
        }
        let count = reader.integer(value, "repeat", in: 1...100_000)
        guard let stepsNode = entries["steps"] else {
            reader.missing("steps", in: entries, "repeat")
            return nil
        }
        let steps = readSteps(stepsNode, prefix: number.path)
        var thresholds: [LatencyThreshold] = []
        if let node = entries["thresholds"] {
            var parser = ThresholdParser(reader: reader)
            thresholds = parser.read(node)
            reader = parser.reader
        }
        guard let count else { return nil }
        return RepeatBlock(count: count, steps: steps, thresholds: thresholds)
    }
}
