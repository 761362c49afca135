import Foundation
import IoTHubCore
import NIOPosix
import Reporting
@testable import Scenario
import Testing

/// The `provision` step and the `provisioned` expectation against the simulated hub's Device
/// Provisioning Service: a device registers, is assigned, and connects with what DPS returned;
/// refusals reach the report with DPS's status and words; an expectation that does not hold
/// fails.
@Suite struct ProvisioningRunTests {
    let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, deadlineScale: 3))
    static let groupKey = "ZmxlZXQtZ3JvdXAta2V5LWZvci12b2NhYnVsYXJ5IQ=="
    static let individualKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

    /// A simulated hub over TLS with a DPS of one symmetric-key group and one individual
    /// enrollment (`sensor`), answering 202 with `retry-after: 0`.
    static func scenario(device: String, steps: String) -> String {
        """
        hub:
          kind: simulated
          dps:
            id_scope: 0ne0000TEST
            retry_after: 0
            enrollments: [ { registration_id: sensor, attestation: symmetric_key, primary_key: \(individualKey) } ]
            groups: [ { name: fleet, attestation: symmetric_key, primary_key: \(groupKey) } ]
        device: \(device)
        steps:
        \(steps)
        """
    }

    func run(_ yaml: String) async throws -> ScenarioResult {
        await runner.run(try ScenarioLoader.load(yaml: yaml, path: "dps.yaml"))
    }

    func summary(_ result: ScenarioResult) -> String {
        result.steps.map { "\($0.step.number) \($0.step.title): \($0.status)" }.joined(separator: "\n")
    }

    @Test("a group member (SDK profile) provisions with its derived key, is assigned, connects with what DPS returned and gets a C2D; the suite carries the registration's latency and polls")
    func groupMemberProvisionsAndReceives() async throws {
        let result = try await run(Self.scenario(device: "{ id: member-1, profile: sdk }", steps: """
              - connect: {}
              - expect: { connack: not_authorized, within: 2s }
              - restart: {}
              - provision: {}
              - expect: { provisioned: assigned, assigned_hub: simulated.azure-devices.net, device_id: member-1, within: 2s }
              - connect: { keepalive: 60 }
              - expect: { connack: accepted, within: 2s }
              - subscribe: { topic: "devices/member-1/messages/devicebound/#", qos: 1 }
              - send: "on"
              - expect: { led: on, within: 2s }
            """))
        #expect(result.isPassed, "\(summary(result))")
        let provision = try #require(result.steps.first { if case .provision = $0.step.kind { true } else { false } })
        #expect(provision.provisioning?.status == .assigned)
        #expect(provision.provisioning?.polls == 1, "retry-after 0 and no assignment delay: the first poll finds it assigned")
        let properties = Dictionary(result.makeProperties().map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        #expect(properties["dps.step-04.polls"] == "1", "\(properties.keys.sorted())")
        #expect(properties["dps.step-04.status"] == "assigned")
        #expect(properties["dps.step-04.latency.ms"] != nil)
        #expect(!TraceFormatter.render(result).contains(Self.groupKey))
        let derived = DeviceKey.derived(fromGroupKey: try DeviceKey(base64: Self.groupKey), registrationID: "member-1").base64
        #expect(result.secrets.contains(derived), "the key the device provisioned with is masked like every device key")
    }

    @Test("kind client provisions with its individual enrollment and connects")
    func clientProvisions() async throws {
        let result = try await run(Self.scenario(device: "{ id: sensor, kind: client }", steps: """
              - provision: {}
              - connect: {}
              - expect: { connack: accepted, within: 2s }
            """))
        #expect(result.isPassed, "\(summary(result))")
    }

    @Test("a wrong key is refused with DPS's 401 and its words in the report, and the hub's reason beside them; refused: 401 makes the refusal pass")
    func wrongKeyRefused() async throws {
        let wrong = DeviceKey.random().base64
        let failed = try await run(Self.scenario(device: "{ id: member-2, profile: sdk }", steps: "  - provision: { key: \(wrong) }\n  - connect: {}"))
        #expect(!failed.isPassed)
        guard case .failed(let failure) = failed.steps[0].status else {
            Issue.record("step 1: \(failed.steps[0].status)")
            return
        }
        #expect(failure.observed.contains("refused with 401 (errorCode 401002): Unauthorized"), "\(failure)")
        #expect(failure.observed.contains("enrollment group 'fleet'"), "the hub's reason: \(failure)")
        #expect(failed.steps[1].status == .skipped(reason: "step 1 failed"))
        #expect(!TraceFormatter.render(failed).contains(wrong))

        let expected = try await run(Self.scenario(device: "{ id: member-2, profile: sdk }", steps: """
              - provision: { key: \(wrong), refused: 401 }
              - expect: { provisioned: refused, status_code: 401, within: 2s }
              - connect: {}
              - expect: { connack: not_authorized, within: 2s }
            """))
        #expect(expected.isPassed, "\(summary(expected))")
    }

    @Test("an unknown ID scope is refused at CONNECT, and refused: true takes it; refused: 401 does not")
    func unknownScope() async throws {
        let any = try await run(Self.scenario(device: "{ id: sensor }", steps: "  - provision: { id_scope: 0ne0000OTHER, refused: true }"))
        #expect(any.isPassed, "\(summary(any))")
        let status = try await run(Self.scenario(device: "{ id: sensor }", steps: "  - provision: { id_scope: 0ne0000OTHER, refused: 401 }"))
        guard case .failed(let failure) = status.steps[0].status else {
            Issue.record("\(summary(status))")
            return
        }
        #expect(failure.observed.contains("refused at CONNECT"), "\(failure)")
    }

    @Test("provisioned fails when DPS did otherwise: another device id, or refused when it assigned; the failure quotes DPS")
    func expectationFails() async throws {
        let result = try await run(Self.scenario(device: "{ id: sensor }", steps: """
              - provision: {}
              - expect: { provisioned: assigned, device_id: someone-else, within: 1s }
            """))
        guard case .failed(let failure) = result.steps[1].status else {
            Issue.record("\(summary(result))")
            return
        }
        #expect(failure.observed.contains("assigned to simulated.azure-devices.net as device sensor"), "\(failure)")

        let refused = try await run(Self.scenario(device: "{ id: sensor }", steps: "  - provision: {}\n  - expect: { provisioned: refused, within: 1s }"))
        #expect(!refused.isPassed, "\(summary(refused))")
        #expect(result.steps[0].status == .passed)
    }

    @Test("a refused registration is not waited on: the step ends well inside its timeout")
    func refusalDoesNotHang() async throws {
        let start = ContinuousClock.now
        let result = try await run(Self.scenario(device: "{ id: stranger, kind: client, key: \(Self.individualKey) }", steps: "  - provision: {}"))
        #expect(ContinuousClock.now - start < .seconds(10))
        guard case .failed(let failure) = result.steps[0].status else {
            Issue.record("\(summary(result))")
            return
        }
        #expect(failure.observed.contains("401"), "\(failure)")
    }
}

extension ProvisioningRunTests {
    @Test("a disabled enrollment's registration goes assigning, then ends disabled at the poll: the step fails saying so, refused: true takes it, and provisioned: disabled sees it")
    func disabledEnrollment() async throws {
        let yaml = { (steps: String) in
            Self.scenario(device: "{ id: sensor }", steps: steps)
                .replacingOccurrences(of: "primary_key: \(Self.individualKey) }", with: "primary_key: \(Self.individualKey), enabled: false }")
        }
        let failed = try await run(yaml("  - provision: {}"))
        guard case .failed(let failure) = failed.steps[0].status else {
            Issue.record("\(summary(failed))")
            return
        }
        #expect(failure.observed.contains("DPS disabled"), "\(failure)")
        #expect(failure.observed.contains("individual enrollment is disabled"), "the hub's reason: \(failure)")
        #expect(failed.steps[0].provisioning?.polls == 1)

        let expected = try await run(yaml("  - provision: { refused: true }\n  - expect: { provisioned: disabled, within: 2s }\n  - connect: {}\n  - expect: { connack: not_authorized, within: 2s }"))
        #expect(expected.isPassed, "\(summary(expected))")
    }
}
