import Foundation
import IoTHubCore
@testable import Scenario
import Testing

/// The Device Provisioning Service in the scenario language: `hub: { dps: ... }`, the
/// `provision` step and `expect: { provisioned: ... }`, read once, and every mistake reported
/// where it is written.
@Suite struct ProvisioningLanguageTests {
    static let group = "ZmxlZXQtZ3JvdXAta2V5LWZvci12b2NhYnVsYXJ5IQ=="

    /// A scenario with `dps` (indented under `hub:`), one device and `steps`.
    static func yaml(dps: String, device: String = "{ id: sensor }", steps: String) -> String {
        "hub:\n  kind: simulated\n  dps:\n" + dps.split(separator: "\n", omittingEmptySubsequences: false).map { "    \($0)" }.joined(separator: "\n")
            + "\ndevice: \(device)\nsteps:\n" + steps
    }

    static let groupDPS = "id_scope: 0ne00000001\ngroups:\n  - { name: fleet, attestation: symmetric_key, primary_key: \(group) }"

    @Test("a dps with a group reads as the hub's ProvisioningSpec, and provision takes its group, key and id_scope")
    func reads() throws {
        let scenario = try ScenarioLoader.load(
            yaml: Self.yaml(dps: Self.groupDPS + "\nretry_after: 1\nassignment_delay: 2s", steps: "  - provision: { group: fleet }\n  - expect: { provisioned: assigned, device_id: sensor, within: 5s }"),
            path: "dps.yaml"
        )
        guard case .simulated(let hub) = scenario.targets[0].hub, let dps = hub.provisioning else {
            Issue.record("no dps: \(scenario.targets[0].hub)")
            return
        }
        #expect(dps.idScope == "0ne00000001")
        #expect(dps.retryAfterSeconds == 1)
        #expect(dps.assignmentDelay == .seconds(2))
        #expect(dps.groups.map(\.name) == ["fleet"])
        #expect(scenario.steps[0].kind == .provision(ProvisionSpec(group: "fleet")))
        #expect(scenario.steps[1].kind == .expect(Expectation(subject: .provisioned(ProvisionedMatcher(status: .assigned, deviceID: "sensor")), deadline: .within(.seconds(5)))))
        #expect(scenario.secretValues.contains(Self.group))
    }

    @Test(
        "bad DPS input is refused where it is written",
        arguments: [
            (yaml(dps: "id_scope: 0ne00000001\ngroups:\n  - { name: fleet, attestation: symmetric_key }", steps: "  - provision: {}"), 6, "no primary_key"),
            (yaml(dps: "id_scope: 0ne00000001\ngroups:\n  - { name: fleet, attestation: tpm, primary_key: \(group) }", steps: "  - provision: {}"), 6, "attestation 'tpm' is unknown"),
            (yaml(dps: "id_scope: 0ne00000001\nenrollments:\n  - { registration_id: Sensor, attestation: symmetric_key, primary_key: \(group) }", steps: "  - provision: {}"), 6, "character 'S' is not allowed"),
            (yaml(dps: "id_scope: 0ne00000001\nenrollments:\n  - { registration_id: cam, attestation: x509 }", steps: "  - provision: {}"), 6, "no cert_file"),
            (yaml(dps: "id_scope: 0ne00000001\ngroups:\n  - { name: fleet, attestation: symmetric_key, primary_key: '!!' }", steps: "  - provision: {}"), 6, "not valid base64"),
            (yaml(dps: "id_scope: 0ne-0001", steps: "  - provision: {}"), 4, "is not an ID scope"),
            (yaml(dps: "groups: []", steps: "  - provision: {}"), 4, "id_scope"),
            (yaml(dps: groupDPS, steps: "  - provision: { group: flet }"), 9, "did you mean 'fleet'?"),
            (yaml(dps: groupDPS, device: "{ id: fw, kind: process, command: python3 }", steps: "  - provision: {}"), 9, "whose firmware registers by itself"),
            (yaml(dps: "id_scope: 0ne00000001", steps: "  - provision: {}"), 7, "has nothing to attest with"),
            (yaml(dps: groupDPS, steps: "  - expect: { provisioned: assgined, within: 1s }"), 9, "did you mean 'assigned'?"),
            (yaml(dps: groupDPS, steps: "  - expect: { provisioned: assigned, status_code: 401, within: 1s }"), 9, "'status_code' goes with 'provisioned: refused'"),
            ("device: { id: sensor }\nsteps:\n  - provision: {}", 3, "needs a Device Provisioning Service"),
            ("hub: { kind: mqtt, url: 'mqtt://127.0.0.1:1883', dps: { id_scope: x } }\ndevice: { id: sensor }\nsteps:\n  - connect: {}", 1, "does not apply to a mqtt hub"),
        ] as [(String, Int, String)]
    )
    func badInput(yaml: String, line: Int, message: String) {
        do {
            _ = try ScenarioLoader.load(yaml: yaml, path: "dps.yaml")
            Issue.record("loaded:\n\(yaml)")
        } catch {
            let match = error.diagnostics.first { $0.message.contains(message) }
            #expect(match != nil, "\(error.diagnostics)")
            #expect(match?.location.file == "dps.yaml")
            #expect(match?.location.line == line, "\(String(describing: match))")
            #expect((match?.location.column ?? 0) >= 1)
        }
    }

    @Test("a group enrollment's key is derived for the device's registration id; a device that could join two groups must name one")
    func credentials() throws {
        let dps = ProvisioningSpec(idScope: "s", groups: [
            .init(name: "a", attestation: .symmetricKey(primary: try .init(base64: Self.group), secondary: nil)),
        ])
        let device = DeviceSpec(id: try .init("sensor"))
        let resolved = ProvisioningCredential.resolve(ProvisionSpec(), device: device, service: dps)
        #expect(resolved == .success(.symmetricKey(.derived(fromGroupKey: try .init(base64: Self.group), registrationID: "sensor"))))
        var two = dps
        two.groups.append(.init(name: "b", attestation: .symmetricKey(primary: .random(), secondary: nil)))
        guard case .failure(let error) = ProvisioningCredential.resolve(ProvisionSpec(), device: device, service: two) else {
            Issue.record("resolved with two groups")
            return
        }
        #expect(error.description.contains("name one with provision: { group: NAME }"))
    }

    @Test("the devices that register with DPS (a provision step, or an expect provisioned for firmware that registers by itself) are the ones the hub leaves out of its registry")
    func provisioningDevices() throws {
        let yaml = Self.yaml(dps: Self.groupDPS, device: "x", steps: "  - provision: {}\n    device: a\n  - expect: { provisioned: assigned, within: 5s }\n    device: b\n  - connect: {}\n    device: c")
            .replacingOccurrences(of: "device: x\n", with: "devices: [ { id: a }, { id: b }, { id: c } ]\n")
        let scenario = try ScenarioLoader.load(yaml: yaml, path: "dps.yaml")
        #expect(scenario.steps.provisioningDevices == [try DeviceID("a"), try DeviceID("b")])
    }
}
