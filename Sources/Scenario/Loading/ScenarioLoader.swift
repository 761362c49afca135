import Devices
import Foundation
import IoTHubCore
import Yams

/// Loads scenario files: YAML syntax, variables, then every key and value, then the order of
/// the steps, reporting all problems at once with `file:line:column`.
public enum ScenarioLoader {
    /// Loads the scenario at `path`.
    /// - Throws: ``ScenarioLoadError`` with every problem found.
    public static func load(path: String, options: LoadOptions = LoadOptions()) throws(ScenarioLoadError) -> Scenario {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ScenarioLoadError(diagnostics: [
                ScenarioDiagnostic(location: SourceLocation(file: path, line: 1, column: 1), message: "cannot read the file: \(describe(error))")
            ])
        }
        return try load(yaml: text, path: path, options: options)
    }

    /// Loads a scenario from YAML text; `path` names it in diagnostics.
    /// - Throws: ``ScenarioLoadError`` with every problem found.
    public static func load(yaml: String, path: String, options: LoadOptions = LoadOptions()) throws(ScenarioLoadError) -> Scenario {
        let root = try compose(yaml: yaml.hasPrefix("\u{FEFF}") ? String(yaml.dropFirst()) : yaml, path: path)
        var reader = YAMLReader(file: path, variables: options.variables)
        guard let top = reader.mapping(root, "the scenario", keys: Vocabulary.scenario, allowingExtensions: true) else {
            throw ScenarioLoadError(diagnostics: reader.diagnostics)
        }
        if let node = top["secrets"] { readSecretNames(node, reader: &reader) }
        let defaultName = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let name = top["name"].flatMap { reader.nonEmptyString($0, "name") } ?? defaultName
        let description = top["description"].flatMap { reader.string($0, "description") }

        let fleetEntries = FleetParser.readEntries(top, reader: &reader)
        let deviceEntries = readDeviceEntries(top, hasFleets: top["fleet"] != nil || top["fleets"] != nil, reader: &reader)
        let targets = readTargets(top, deviceEntries: deviceEntries, fleetEntries: fleetEntries, options: options, reader: &reader)
        let deviceIDs = targets.first?.devices.map(\.id) ?? []
        if Set(deviceIDs).count != deviceIDs.count {
            reader.error("device ids must be unique; '\(deviceIDs.first { id in deviceIDs.filter { $0 == id }.count > 1 }?.string ?? "")' appears twice", at: top["devices"])
        }
        let fleets = targets.first?.fleets ?? []
        checkFleetIDs(fleets, devices: deviceIDs, at: top["fleets"] ?? top["fleet"], reader: &reader)
        var steps: [Step] = []
        var finallySteps: [Step] = []
        var parser = StepParser(deviceIDs: deviceIDs, fleets: fleets, reader: reader)
        parser.protocols = Dictionary((targets.first?.devices ?? []).map { ($0.id, $0.protocolVersion) }, uniquingKeysWith: { first, _ in first })
        parser.standard = NormativeStatements.spoken(by: targets.first?.devices ?? [])
        // Top-level statements are checked by every step of the scenario (not its cleanup).
        let statements = top["statements"].map { parser.readStatements($0) } ?? []
        if let node = top["steps"] {
            steps = parser.readSteps(node)
            for index in steps.indices {
                steps[index].statements = statements + steps[index].statements.filter { !statements.contains($0) }
            }
        } else {
            parser.reader.missing("steps", in: top, "the scenario")
        }
        if let node = top["finally"] {
            finallySteps = parser.readSteps(node, first: steps.count + 1, what: "finally")
            for index in finallySteps.indices { finallySteps[index].isCleanup = true }
        }
        parser.checkExpectationVersions(steps + finallySteps)
        StepParser.markJudgedAnswers(&steps)
        StepParser.markJudgedAnswers(&finallySteps)
        reader = parser.reader
        if reader.diagnostics.isEmpty {
            // Each target's devices (a target may change a device's kind), each problem once.
            // The cleanup runs after the steps, so it is checked as their continuation.
            var seen: Set<String> = []
            let all = steps + finallySteps
            let problems = targets.flatMap { ScenarioValidator.check(steps: all, devices: $0.devices, fleets: $0.fleets) }
                + TargetValidator.check(steps: all, targets: targets)
                + ProvisioningValidator.check(steps: all, targets: targets)
            for problem in problems where seen.insert("\(problem.location)|\(problem.message)").inserted {
                reader.error(problem.message, at: problem.location)
            }
        }
        guard reader.diagnostics.isEmpty, !targets.isEmpty else {
            throw ScenarioLoadError(diagnostics: reader.diagnostics.sorted { $0.location < $1.location })
        }
        var scenario = Scenario(name: name, description: description, path: path, targets: targets, steps: steps, secretValues: reader.secretValues)
        scenario.finallySteps = finallySteps
        return scenario
    }

    /// Whether the file at `path` declares a fleet (`fleet:` or `fleets:` at its top): such a
    /// scenario runs on every shard, each with its part of the members. A file that cannot
    /// be read says no; loading it reports why.
    public static func declaresFleets(path: String) -> Bool {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), text.contains("fleet"),
            let node = try? Yams.compose(yaml: text), let mapping = node.mapping
        else { return false }
        return mapping.keys.contains { $0.scalar?.string == "fleet" || $0.scalar?.string == "fleets" }
    }

    // MARK: Parts

    private static func compose(yaml: String, path: String) throws(ScenarioLoadError) -> Node {
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ScenarioLoadError(diagnostics: [
                    ScenarioDiagnostic(location: SourceLocation(file: path, line: 1, column: 1), message: "the file is empty; a scenario needs at least 'device' and 'steps'")
                ])
            }
            guard !YAMLSize.exceeds(node) else { throw ScenarioLoadError(diagnostics: [YAMLSize.diagnostic(path: path)]) }
            return node
        } catch let error as ScenarioLoadError {
            throw error
        } catch let error as YamlError {
            throw ScenarioLoadError(diagnostics: [YAMLSyntax.diagnostic(error, path: path)])
        } catch {
            throw ScenarioLoadError(diagnostics: [
                ScenarioDiagnostic(location: SourceLocation(file: path, line: 1, column: 1), message: "YAML syntax error: \(error)")
            ])
        }
    }

    private static func readSecretNames(_ node: Node, reader: inout YAMLReader) {
        guard let sequence = node.sequence else {
            reader.error("secrets must be a list of variable names, for example [DEVICE_KEY]", at: node)
            return
        }
        for item in sequence {
            guard let name = reader.literal(item, "secret name") else { continue }
            guard Variables.isValidName(Substring(name)) else {
                reader.error("'\(name)' is not a variable name (letters, digits and '_')", at: item)
                continue
            }
            reader.variables.secretNames.insert(name)
        }
    }

    /// Fleet names and member ids are unique across the scenario: no member has a device's id
    /// or another fleet's member's, and no fleet is named like a device.
    private static func checkFleetIDs(_ fleets: [FleetSpec], devices: [DeviceID], at node: Node?, reader: inout YAMLReader) {
        let total = fleets.reduce(0) { $0 + $1.count }
        guard total <= FleetSpec.maximumTotal else {
            reader.error("the fleets have \(total) devices together, beyond the limit of \(FleetSpec.maximumTotal) per scenario; split the test over scenarios or shards", at: node)
            return
        }
        var seen = Set(devices)
        var names = Set(devices.map(\.string))
        for fleet in fleets {
            guard names.insert(fleet.name).inserted else {
                reader.error("fleet name '\(fleet.name)' is already the name of a device or another fleet; give each a distinct name", at: node)
                continue
            }
            for index in 0..<fleet.count {
                let id = fleet.memberID(index)
                guard seen.insert(id).inserted else {
                    reader.error("fleet '\(fleet.name)' makes device id '\(id)' (index \(index)), which another device or fleet has too; make the id patterns distinct", at: node)
                    break
                }
            }
        }
    }

    private static func readDeviceEntries(_ top: YAMLReader.Entries, hasFleets: Bool, reader: inout YAMLReader) -> [YAMLReader.Entries] {
        switch (top["device"], top["devices"]) {
        case (let single?, nil):
            return reader.mapping(single, "device", keys: Vocabulary.device).map { [$0] } ?? []
        case (nil, let list?):
            guard let sequence = list.sequence, !sequence.isEmpty else {
                reader.error("devices must be a non-empty list of devices", at: list)
                return []
            }
            return sequence.compactMap { reader.mapping($0, "device", keys: Vocabulary.device) }
        case (_?, let list?):
            reader.error("give 'device' (one) or 'devices' (a list), not both", at: list)
            return []
        case (nil, nil):
            if !hasFleets { reader.missing("device", in: top, "the scenario") }
            return []
        }
    }

    private static func readTargets(
        _ top: YAMLReader.Entries,
        deviceEntries: [YAMLReader.Entries],
        fleetEntries: [YAMLReader.Entries],
        options: LoadOptions,
        reader: inout YAMLReader
    ) -> [ScenarioTarget] {
        func fleets(overrides: YAMLReader.Entries?) -> [FleetSpec] {
            fleetEntries.compactMap { FleetParser.read($0, overrides: overrides, shard: options.shard, reader: &reader) }
        }
        func devices(overrides: YAMLReader.Entries?) -> [DeviceSpec] {
            let commandLine = SourceLocation(file: "--device", line: 1, column: 1)
            let scenarioFolder = URL(fileURLWithPath: reader.file).deletingLastPathComponent()
            return deviceEntries.compactMap { DeviceParser.read($0, overrides: overrides, reader: &reader) }.map { spec in
                var spec = spec
                for problem in DeviceParser.apply(commandLine: options.deviceOverrides, to: &spec, scenarioFolder: scenarioFolder) {
                    reader.error(problem, at: commandLine)
                }
                for (key, value) in options.deviceOverrides where Vocabulary.device.secretNames.contains(key) { reader.markSecret(value) }
                return spec
            }
        }
        if let override = options.hubOverride {
            let specs = devices(overrides: nil)
            guard let hub = HubParser.parse(text: override, reader: &reader, location: SourceLocation(file: "--hub", line: 1, column: 1)) else {
                return []
            }
            let fleets = fleets(overrides: nil)
            checkHubTokenService(hub, specs + fleets.map(\.template), at: SourceLocation(file: "--hub", line: 1, column: 1), reader: &reader)
            checkFleetKeys(hub, fleets, at: SourceLocation(file: "--hub", line: 1, column: 1), reader: &reader)
            return [ScenarioTarget(name: "\(hub)", hub: hub, devices: specs, fleets: fleets)]
        }
        guard let targetsNode = top["targets"] else {
            let hub = top["hub"].flatMap { HubParser.read($0, reader: &reader) } ?? .simulatedDefault
            let specs = devices(overrides: nil)
            let fleets = fleets(overrides: nil)
            checkHubTokenService(hub, specs + fleets.map(\.template), at: reader.location(of: top["hub"]), reader: &reader)
            checkFleetKeys(hub, fleets, at: reader.location(of: top["hub"]), reader: &reader)
            return [ScenarioTarget(name: "\(hub)", hub: hub, devices: specs, fleets: fleets)]
        }
        if let hubNode = top["hub"] {
            reader.error("give 'hub' (one target) or 'targets' (several), not both", at: hubNode)
        }
        guard let sequence = targetsNode.sequence, !sequence.isEmpty else {
            reader.error("targets must be a non-empty list of { name, hub, device }", at: targetsNode)
            return []
        }
        var targets: [ScenarioTarget] = []
        for item in sequence {
            guard let entries = reader.mapping(item, "target", keys: Vocabulary.target) else { continue }
            guard let hubNode = entries["hub"] else {
                reader.missing("hub", in: entries, "target")
                continue
            }
            guard let hub = HubParser.read(hubNode, reader: &reader) else { continue }
            let overrides = entries["device"].flatMap { reader.mapping($0, "target device", keys: Vocabulary.device) }
            let name = entries["name"].flatMap { reader.nonEmptyString($0, "target name") } ?? "\(hub)"
            if targets.contains(where: { $0.name == name }) {
                reader.error("target name '\(name)' is used twice; give each target a distinct 'name'", at: entries["name"] ?? item)
            }
            let specs = devices(overrides: overrides)
            let fleets = fleets(overrides: overrides)
            checkHubTokenService(hub, specs + fleets.map(\.template), at: reader.location(of: hubNode), reader: &reader)
            checkFleetKeys(hub, fleets, at: reader.location(of: hubNode), reader: &reader)
            targets.append(ScenarioTarget(name: name, hub: hub, devices: specs, fleets: fleets))
        }
        return targets
    }

    /// A fleet on a real IoT Hub needs the keys the hub holds: its group key or a keys file.
    private static func checkFleetKeys(_ hub: HubTarget, _ fleets: [FleetSpec], at location: SourceLocation, reader: inout YAMLReader) {
        guard case .azure = hub else { return }
        for fleet in fleets where fleet.groupKey == nil && fleet.listedKeys.isEmpty && fleet.template.password == nil && fleet.template.tokenService == nil {
            reader.error("fleet '\(fleet.name)' runs against a real IoT Hub, which must already hold its devices' keys: give 'group_key' (the keys are derived from it as a DPS group enrollment derives them) or 'keys_file'", at: location)
        }
    }

    /// Device settings that need a kind of hub: `token_service: hub` the simulated one (it
    /// serves the endpoint), `tap` a plain broker (the proxy cannot see inside TLS, and the
    /// simulated hub records packets itself).
    private static func checkHubTokenService(_ hub: HubTarget, _ specs: [DeviceSpec], at location: SourceLocation, reader: inout YAMLReader) {
        for spec in specs where spec.tokenServiceFromHub && !hub.isSimulated {
            reader.error("device '\(spec.id)' has 'token_service: hub', which only the simulated hub serves; this hub is \(hub): give the token service's { url, key }", at: location)
        }
        var plainBroker = false
        if case .broker(let broker) = hub, broker.tls == nil { plainBroker = true }
        for spec in specs where spec.firmware?.tapAddress != nil && !plainBroker {
            reader.error("device '\(spec.id)' has a 'tap', which works on a plain mqtt:// broker only; this hub is \(hub)", at: location)
        }
    }

    static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadNoSuchFileError { return "no such file" }
        return nsError.localizedDescription
    }
}
