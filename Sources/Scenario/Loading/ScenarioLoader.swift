import Devices
import Foundation
import IoTHubCore
import Yams

/// Loads scenario files: YAML syntax, then every key and value, reporting all problems at once
/// with `file:line:column`.
public enum ScenarioLoader {
    static let topLevelKeys = ["name", "description", "hub", "device", "steps"]
    static let deviceKeys = ["id", "kind", "profile", "key", "token", "token_ttl", "api_version"]
    static let hubKeys = ["kind", "hostname"]

    /// Loads the scenario at `path`.
    /// - Throws: ``ScenarioLoadError`` with every problem found.
    public static func load(path: String) throws(ScenarioLoadError) -> Scenario {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ScenarioLoadError(diagnostics: [
                ScenarioDiagnostic(location: SourceLocation(file: path, line: 1, column: 1), message: "cannot read the file: \(Self.describe(error))")
            ])
        }
        return try load(yaml: text, path: path)
    }

    /// Loads a scenario from YAML text; `path` names it in diagnostics.
    /// - Throws: ``ScenarioLoadError`` with every problem found.
    public static func load(yaml: String, path: String) throws(ScenarioLoadError) -> Scenario {
        var reader = YAMLReader(file: path)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                reader.error("the file is empty; a scenario needs at least 'device' and 'steps'", at: nil)
                throw ScenarioLoadError(diagnostics: reader.diagnostics)
            }
            root = node
        } catch let error as ScenarioLoadError {
            throw error
        } catch let error as YamlError {
            throw ScenarioLoadError(diagnostics: [syntaxDiagnostic(error, path: path)])
        } catch {
            throw ScenarioLoadError(diagnostics: [
                ScenarioDiagnostic(location: SourceLocation(file: path, line: 1, column: 1), message: "YAML syntax error: \(error)")
            ])
        }
        guard let top = reader.mapping(root, "the scenario", allowed: topLevelKeys) else {
            throw ScenarioLoadError(diagnostics: reader.diagnostics)
        }
        let defaultName = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let name = top["name"].flatMap { reader.nonEmptyString($0, "name") } ?? defaultName
        let description = top["description"].flatMap { reader.string($0, "description") }
        let hub = top["hub"].map { readHub($0, reader: &reader) } ?? .simulated(hostName: HubTarget.defaultSimulatedHostName)
        var device: DeviceSpec?
        if let node = top["device"] {
            device = readDevice(node, reader: &reader)
        } else {
            reader.missing("device", in: top, "the scenario")
        }
        var steps: [Step] = []
        if let node = top["steps"] {
            steps = StepParser.readSteps(node, device: device, reader: &reader)
        } else {
            reader.missing("steps", in: top, "the scenario")
        }
        guard reader.diagnostics.isEmpty, let hub, let device else {
            throw ScenarioLoadError(diagnostics: reader.diagnostics.sorted { $0.location < $1.location })
        }
        return Scenario(name: name, description: description, path: path, hub: hub, device: device, steps: steps)
    }

    private static func readHub(_ node: Node, reader: inout YAMLReader) -> HubTarget? {
        if node.scalar != nil {
            guard let text = reader.string(node, "hub") else { return nil }
            guard text == "simulated" else {
                reader.error("hub '\(text)' is not supported yet; use 'simulated'\(Suggestions.hint(for: text, in: ["simulated"]))", at: node)
                return nil
            }
            return .simulated(hostName: HubTarget.defaultSimulatedHostName)
        }
        guard let entries = reader.mapping(node, "hub", allowed: hubKeys) else { return nil }
        if let kind = entries["kind"], let text = reader.string(kind, "hub kind"), text != "simulated" {
            reader.error("hub kind '\(text)' is not supported yet; use 'simulated'", at: kind)
            return nil
        }
        let hostName = entries["hostname"].flatMap { reader.nonEmptyString($0, "hub hostname") } ?? HubTarget.defaultSimulatedHostName
        return .simulated(hostName: hostName)
    }

    private static func readDevice(_ node: Node, reader: inout YAMLReader) -> DeviceSpec? {
        guard let entries = reader.mapping(node, "device", allowed: deviceKeys) else { return nil }
        guard let idNode = entries["id"] else {
            reader.missing("id", in: entries, "device")
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
        if let node = entries["kind"], let text = reader.string(node, "device kind") {
            if let kind = DeviceSpec.Kind(rawValue: text) {
                spec.kind = kind
            } else {
                let kinds = DeviceSpec.Kind.allCases.map(\.rawValue)
                reader.error("device kind '\(text)' is not supported\(Suggestions.hint(for: text, in: kinds)); known: \(kinds.joined(separator: ", "))", at: node)
            }
        }
        if let node = entries["profile"], let text = reader.string(node, "device profile") {
            if let profile = DeviceProfile(named: text) {
                spec.profile = profile
            } else {
                let names = DeviceProfile.all.map(\.name)
                reader.error("device profile '\(text)' is unknown\(Suggestions.hint(for: text, in: names)); known: \(names.joined(separator: ", "))", at: node)
            }
        }
        if let node = entries["key"], let text = reader.nonEmptyString(node, "device key") {
            do {
                spec.key = try DeviceKey(base64: text)
            } catch {
                reader.error("device key: \(error)", at: node)
            }
        }
        if let node = entries["token"], let text = reader.nonEmptyString(node, "device token") {
            spec.token = text
        }
        if entries["token"] != nil, entries["token_ttl"] != nil {
            reader.error("give a fixed 'token' or a 'token_ttl' for minted tokens, not both", at: entries["token_ttl"])
        }
        if let node = entries["token_ttl"], let ttl = reader.duration(node, "token_ttl") {
            if ttl < .seconds(1) {
                reader.error("token_ttl must be at least 1s", at: node)
            } else {
                spec.tokenTTL = ttl
            }
        }
        if let node = entries["api_version"], let text = reader.nonEmptyString(node, "api_version") {
            spec.apiVersion = text
        }
        return spec
    }

    private static func syntaxDiagnostic(_ error: YamlError, path: String) -> ScenarioDiagnostic {
        func diagnostic(_ problem: String, _ mark: Mark, _ context: YamlError.Context?) -> ScenarioDiagnostic {
            var message = "YAML syntax error: \(problem)"
            if let context { message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))" }
            if problem.contains("mapping values are not allowed") || problem.contains("did not find expected key") {
                message += "; check the indentation"
            }
            return ScenarioDiagnostic(location: SourceLocation(file: path, line: mark.line, column: mark.column), message: message)
        }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return diagnostic(problem, mark, context)
        case .duplicatedKeysInMapping(let duplicates, let context):
            return ScenarioDiagnostic(
                location: SourceLocation(file: path, line: context.mark.line, column: context.mark.column),
                message: "duplicate keys \(duplicates.joined(separator: ", ")) in one mapping"
            )
        case .reader(let problem, let offset, _, let yaml):
            var line = 1
            var column = 1
            if let offset {
                for character in yaml.prefix(offset) {
                    if character == "\n" { line += 1; column = 1 } else { column += 1 }
                }
            }
            return ScenarioDiagnostic(location: SourceLocation(file: path, line: line, column: column), message: "cannot read the text: \(problem)")
        default:
            return ScenarioDiagnostic(location: SourceLocation(file: path, line: 1, column: 1), message: "YAML error: \(error)")
        }
    }

    static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadNoSuchFileError { return "no such file" }
        return nsError.localizedDescription
    }
}
