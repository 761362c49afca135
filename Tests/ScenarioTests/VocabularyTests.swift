import Foundation
@testable import Scenario
import Testing
import Yams

/// The vocabulary is the language the loader reads: each key once per mapping, described for
/// editors, and every key of it used by the vocabulary fixtures, which load and pass the schema.
@Suite struct VocabularyTests {
    /// Every mapping of the language, by the name the fixture walk below gives it.
    static let mappings: [(name: String, keys: VocabularyMapping)] = [
        ("scenario", Vocabulary.scenario), ("target", Vocabulary.target), ("device", Vocabulary.device),
        ("token_service", Vocabulary.tokenService), ("will", Vocabulary.will), ("led", Vocabulary.led), ("hub", Vocabulary.hub),
        ("step", Vocabulary.step), ("connect", Vocabulary.connect), ("subscribe", Vocabulary.subscribe),
        ("unsubscribe", Vocabulary.unsubscribe), ("send", Vocabulary.send), ("publish", Vocabulary.publish),
        ("expect", Vocabulary.expectation), ("one_of branch", Vocabulary.expectationBranch),
        ("disconnect", Vocabulary.disconnect), ("connack expectation", Vocabulary.connackExpectation),
        ("disconnect expectation", Vocabulary.disconnectExpectation), ("publish expectation", Vocabulary.publishExpectation),
        ("fault", Vocabulary.fault), ("heal", Vocabulary.heal), ("chaos", Vocabulary.chaos),
        ("fleet", VocabularyMapping(Vocabulary.fleetOwnKeys)), ("device selection", Vocabulary.fleetSelection),
        ("dps", Vocabulary.dps), ("enrollment", Vocabulary.enrollment), ("group", Vocabulary.enrollmentGroup), ("provision", Vocabulary.provision),
    ]

    static let fixtures = ["vocabulary.yaml", "vocabulary/steps.yaml", "vocabulary/devices.yaml", "vocabulary/tap.yaml", "vocabulary/faults.yaml", "vocabulary/fleets.yaml", "vocabulary/fleet-single.yaml", "vocabulary/provisioning.yaml", "vocabulary/mqtt5.yaml"].map {
        ScenarioLoaderTests.repositoryRoot.appendingPathComponent("Tests/ScenarioTests/Fixtures/\($0)").path
    }

    @Test("each mapping names a key once, and every key is described for editors")
    func keys() {
        for (name, mapping) in Self.mappings {
            #expect(Set(mapping.names).count == mapping.names.count, "\(name): \(mapping.names)")
            for key in mapping.keys {
                #expect(key.value.description?.isEmpty == false, "\(name).\(key.name) has no description")
            }
        }
    }

    @Test("the forms a key names exist: device kinds, hub kinds, subjects, actions")
    func forms() {
        let kinds = Set(DeviceSpec.Kind.allCases.map(\.rawValue))
        #expect(Vocabulary.device.keys.allSatisfy { Set($0.forms).isSubset(of: kinds) })
        #expect(Set(Vocabulary.deviceKinds.map(\.kind)) == Set(DeviceSpec.Kind.allCases))
        #expect(Vocabulary.hub.keys.allSatisfy { Set($0.forms).isSubset(of: Vocabulary.hubKinds) })
        let subjects = Set(Vocabulary.expectationSubjects.map(\.name))
        #expect(Vocabulary.expectationQualifiers.allSatisfy { !$0.forms.isEmpty && Set($0.forms).isSubset(of: subjects) })
        let actions = Set(Vocabulary.actions.map(\.name))
        #expect(Vocabulary.stepKeys.keys.allSatisfy { Set($0.forms).isSubset(of: actions) })
    }

    @Test("the vocabulary fixtures use every key of the vocabulary, load without a problem and pass the schema")
    func fixturesUseEveryKey() throws {
        var use = KeyUse()
        for path in Self.fixtures {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(throws: Never.self, "\(path)") { _ = try ScenarioLoader.load(path: path) }
            let found = SchemaValidator.scenario.validate(yaml: text, path: path)
            #expect(found.isEmpty, "\(found.map(\.description))")
            if let node = try Yams.compose(yaml: text) { use.scenario(node) }
        }
        let expectationKeys = Set(Vocabulary.expectation.names)
        for (name, mapping) in Self.mappings {
            // A branch of one_of takes the subjects and qualifiers of an expect, used there.
            let needed = mapping.names.filter { name != "one_of branch" || !expectationKeys.contains($0) }
            let unused = needed.filter { !(use.keys[name]?.contains($0) ?? false) }
            #expect(unused.isEmpty, "no vocabulary fixture uses \(name) keys \(unused)")
        }
    }
}

/// Which keys of which mapping scenario files use, found by walking their YAML.
private struct KeyUse {
    var keys: [String: Set<String>] = [:]

    mutating func scenario(_ node: Node) {
        note("scenario", node)
        device(node["device"])
        node["devices"]?.sequence?.forEach { device($0) }
        hub(node["hub"])
        note("fleet", node["fleet"])
        node["fleets"]?.sequence?.forEach { note("fleet", $0) }
        for target in node["targets"]?.sequence ?? [] {
            note("target", target)
            hub(target["hub"])
            device(target["device"])
        }
        steps(node["steps"])
        steps(node["finally"])
    }

    private mutating func device(_ node: Node?) {
        guard let node else { return }
        note("device", node)
        for (key, name) in [("token_service", "token_service"), ("will", "will"), ("led", "led")] where node[key]?.mapping != nil {
            note(name, node[key])
        }
    }

    private mutating func hub(_ node: Node?) {
        if node?.mapping != nil { note("hub", node) }
        if let dps = node?["dps"], dps.mapping != nil {
            note("dps", dps)
            dps["enrollments"]?.sequence?.forEach { note("enrollment", $0) }
            dps["groups"]?.sequence?.forEach { note("group", $0) }
        }
    }

    private mutating func steps(_ node: Node?) {
        for step in node?.sequence ?? [] {
            note("step", step)
            if step["device"]?.mapping != nil { note("device selection", step["device"]) }
            for action in ["connect", "subscribe", "unsubscribe", "send", "publish", "disconnect", "fault", "heal", "chaos", "provision"] where step[action]?.mapping != nil {
                note(action, step[action])
            }
            if let expectation = step["expect"] {
                note("expect", expectation)
                for subject in ["connack", "disconnect", "publish"] where expectation[subject]?.mapping != nil {
                    note("\(subject) expectation", expectation[subject])
                }
                expectation["one_of"]?.sequence?.forEach { note("one_of branch", $0) }
            }
            steps(step["steps"])
        }
    }

    private mutating func note(_ mapping: String, _ node: Node?) {
        for key in node?.mapping?.keys.compactMap(\.scalar?.string) ?? [] { keys[mapping, default: []].insert(key) }
    }
}
