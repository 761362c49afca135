import Devices
import Foundation
import IoTHubCore
import NIOPosix
import Scenario
import Testing

/// Certificate and clock faults run for real: the simulated hub over TLS on loopback swaps the
/// certificate new connections get, and devices fail their handshake with the reason in plain
/// words, then connect again once healed; a skewed device clock mints tokens the hub refuses.
@Suite struct CertificateFaultTests {
    let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, deadlineScale: 3))

    /// The device events of `device` in the run, as the report words them.
    static func deviceLines(_ result: ScenarioResult, _ device: String) -> [String] {
        result.entries.compactMap { entry in
            guard case .device(let id, let event) = entry.event, id.string == device else { return nil }
            return RecordText.deviceLine(event)
        }
    }

    static func describe(_ result: ScenarioResult) -> String {
        result.steps.map { "\($0.step.number) \($0.status)" }.joined(separator: "; ")
    }

    @Test(
        "a certificate fault fails the next handshake with the reason in plain words; healed, the device connects again",
        arguments: [
            ("certificate_expired", "could not connect: TLS handshake failed: the server's certificate is not trusted"),
            ("certificate_wrong_name", "could not connect: TLS handshake failed: the server's certificate is not for the host name asked for"),
            ("certificate_untrusted", "could not connect: TLS handshake failed: the server's certificate is not trusted"),
            ("ca_rotation", "could not connect: TLS handshake failed: the server's certificate is not trusted"),
        ]
    )
    func certificateFault(kind: String, reason: String) async throws {
        let yaml = """
            device: { id: esp8266, profile: umqtt-robust }
            steps:
              - connect: { clean_session: false }
              - fault: { kind: \(kind) }
              - expect: { disconnected: false, for: 200ms }
              - fault: { kind: drop }
              - expect: { reconnected: false, for: 1s }
              - heal: { kind: \(kind) }
              - expect: { reconnected: true, within: 4s }
            """
        let result = await runner.run(try ScenarioLoader.load(yaml: yaml, path: "\(kind).yaml"))
        #expect(result.isPassed, "\(kind): \(Self.describe(result))")
        let lines = Self.deviceLines(result, "esp8266")
        let failures = lines.filter { $0.hasPrefix("could not connect") }
        #expect(!failures.isEmpty, "\(kind): \(lines)")
        for failure in failures { #expect(failure.hasPrefix(reason), "\(kind): \(failure)") }
        // Plain words: no library type names.
        #expect(!failures.contains { $0.contains("NIOSSL") || $0.contains("BoringSSL") || $0.contains("sslError") })
        let faults = result.entries.compactMap { entry -> FaultEvent? in
            if case .fault(let event) = entry.event { return event }
            return nil
        }
        #expect(faults.contains { $0.phase == .started && $0.kind == kind && $0.target == "hub" })
        #expect(faults.contains { $0.phase == .healed && $0.kind == kind })
    }

    @Test("each certificate fault fails a connect with its reason in plain words")
    func reasons() async throws {
        var seen: [String: String] = [:]
        for kind in ["certificate_expired", "certificate_wrong_name", "certificate_untrusted"] {
            let yaml = """
                device: { id: esp8266 }
                steps:
                  - fault: { kind: \(kind) }
                  - connect: {}
                """
            let result = await runner.run(try ScenarioLoader.load(yaml: yaml, path: "\(kind).yaml"))
            guard case .failed(let failure) = result.steps[1].status else {
                Issue.record("\(kind): connect did not fail: \(result.steps[1].status)")
                continue
            }
            seen[kind] = failure.observed
        }
        // BoringSSL's handshake error names no finer reason than CERTIFICATE_VERIFY_FAILED
        // for an expired certificate, so it reads as not trusted.
        #expect(seen["certificate_expired"] == "no CONNACK: TLS handshake failed: the server's certificate is not trusted (CERTIFICATE_VERIFY_FAILED): check that the CA file holds its root, and its dates", "\(seen)")
        #expect(seen["certificate_wrong_name"] == "no CONNACK: TLS handshake failed: the server's certificate is not for the host name asked for: connect by a name the certificate lists", "\(seen)")
        #expect(seen["certificate_untrusted"] == "no CONNACK: TLS handshake failed: the server's certificate is not trusted (CERTIFICATE_VERIFY_FAILED): check that the CA file holds its root, and its dates", "\(seen)")
    }

    @Test("ca_rotation: a device given both roots goes on, one given only the next root fails until the rotation")
    func rotationRoots() async throws {
        let yaml = """
            devices:
              - { id: both, trusted_roots: both }
              - { id: next, trusted_roots: next }
            steps:
              - connect: {}
                device: both
              - connect: {}
                device: next
            """
        let before = await runner.run(try ScenarioLoader.load(yaml: yaml, path: "before.yaml"))
        #expect(before.steps[0].status == .passed)
        guard case .failed(let failure) = before.steps[1].status else {
            Issue.record("a device trusting only the next root connected before the rotation: \(before.steps[1].status)")
            return
        }
        #expect(failure.observed.contains("not trusted"), "\(failure.observed)")

        let rotated = """
            devices:
              - { id: both, trusted_roots: both }
              - { id: next, trusted_roots: next }
            steps:
              - fault: { kind: ca_rotation }
              - connect: {}
                device: both
              - connect: {}
                device: next
              - expect: { connack: accepted, within: 1s }
                device: next
            """
        let after = await runner.run(try ScenarioLoader.load(yaml: rotated, path: "after.yaml"))
        #expect(after.isPassed, "\(Self.describe(after))")
    }

    @Test("the shipped ca-rotation scenario passes, and its report says why the old-root device failed")
    func shippedRotation() async throws {
        let path = ScenarioLoaderTests.repositoryRoot.appendingPathComponent("scenarios/faults/ca-rotation.yaml").path
        let result = await runner.run(try ScenarioLoader.load(path: path))
        #expect(result.isPassed, "\(Self.describe(result))")
        let legacy = Self.deviceLines(result, "legacy")
        #expect(legacy.contains { $0.hasPrefix("could not connect: TLS handshake failed: the server's certificate is not trusted") }, "\(legacy)")
        #expect(!Self.deviceLines(result, "updated").contains { $0.hasPrefix("could not connect") })
    }

    @Test(
        "clock_skew: a device behind by more than its token's life plus the hub's 5 minutes is refused with CONNACK 5; within them it is accepted",
        arguments: [("-10m", "not_authorized"), ("-2m", "accepted"), ("10m", "accepted")]
    )
    func clockSkew(skew: String, connack: String) async throws {
        let yaml = """
            device: { id: esp8266, token_ttl: 1m }
            steps:
              - fault: { kind: clock_skew, skew: "\(skew)" }
              - connect: {}
              - expect: { connack: \(connack), within: 5s }
              - restart: {}
              - heal: {}
              - connect: {}
              - expect: { connack: accepted, within: 5s }
            """
        let result = await runner.run(try ScenarioLoader.load(yaml: yaml, path: "skew.yaml"))
        #expect(result.isPassed, "\(skew): \(Self.describe(result))")
    }

    @Test("a clock_skew fault for one device leaves the others' clocks alone")
    func clockSkewOneDevice() async throws {
        let yaml = """
            devices:
              - { id: skewed, token_ttl: 1m }
              - { id: fine, token_ttl: 1m }
            steps:
              - fault: { kind: clock_skew, skew: -1h, device: skewed }
              - connect: {}
                device: skewed
              - expect: { connack: not_authorized, within: 1s }
                device: skewed
              - connect: {}
                device: fine
              - expect: { connack: accepted, within: 1s }
                device: fine
            """
        let result = await runner.run(try ScenarioLoader.load(yaml: yaml, path: "skew-one.yaml"))
        #expect(result.isPassed, "\(Self.describe(result))")
    }
}

/// Certificate and clock faults are checked at load, with positions.
@Suite struct CertificateFaultLoadingTests {
    func diagnostics(_ yaml: String) -> [String] {
        do {
            _ = try ScenarioLoader.load(yaml: yaml, path: "faults.yaml")
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test("skew is read with its sign and refused when it is no duration, zero, more than a year or missing")
    func skews() throws {
        let scenario = try ScenarioLoader.load(
            yaml: """
                device: { id: esp8266 }
                steps:
                  - fault: { kind: clock_skew, skew: -10m, for: 1m }
                  - fault: { kind: clock_skew, skew: 90s }
                """,
            path: "skew.yaml"
        )
        guard case .fault(let behind) = scenario.steps[0].kind, case .fault(let ahead) = scenario.steps[1].kind else {
            Issue.record("not faults")
            return
        }
        #expect(behind.kind == .clockSkew(.seconds(-600)))
        #expect(behind.summary == "clock_skew -10m esp8266 for 1m")
        #expect(ahead.kind == .clockSkew(.seconds(90)))

        #expect(
            diagnostics("device: { id: a }\nsteps:\n  - fault: { kind: clock_skew, skew: ten }\n")
                == ["faults.yaml:3:38: error: skew: 'ten' is not a duration: it does not start with a number (write for example 10m, or -10m for a clock behind)"]
        )
        #expect(diagnostics("device: { id: a }\nsteps:\n  - fault: { kind: clock_skew, skew: -0s }\n") == ["faults.yaml:3:38: error: skew must not be 0: a clock that is not off is no fault"])
        #expect(diagnostics("device: { id: a }\nsteps:\n  - fault: { kind: clock_skew, skew: 400d }\n").first?.hasPrefix("faults.yaml:3:38: error: skew '400d' is more than a year") == true)
        #expect(diagnostics("device: { id: a }\nsteps:\n  - fault: { kind: clock_skew }\n") == ["faults.yaml:3:12: error: a clock_skew fault is missing required key 'skew'"])
        #expect(
            diagnostics("device: { id: a }\nsteps:\n  - fault: { kind: ca_rotation, skew: 1m }\n")
                == ["faults.yaml:3:33: error: 'skew' is not a setting of a ca_rotation fault; it takes only kind, device and for"]
        )
    }

    @Test("certificate faults take no device, and need the simulated hub over TLS")
    func certificateTargets() {
        #expect(
            diagnostics("device: { id: a }\nsteps:\n  - fault: { kind: certificate_expired, device: a }\n")
                == ["faults.yaml:3:41: error: a certificate_expired fault changes the hub's certificate, which every device sees at its next TLS handshake; it takes no 'device'"]
        )
        #expect(
            diagnostics("hub: mqtt://127.0.0.1:1883\ndevice: { id: a }\nsteps:\n  - fault: { kind: certificate_untrusted }\n")
                == ["faults.yaml:4:5: error: a 'certificate_untrusted' fault needs the simulated hub, and the target mqtt://127.0.0.1:1883 is not: only the simulated hub's certificate can be swapped"]
        )
        #expect(
            diagnostics("hub: { kind: simulated, tls: false }\ndevice: { id: a }\nsteps:\n  - fault: { kind: ca_rotation }\n").first?
                .hasPrefix("faults.yaml:4:5: error: a 'ca_rotation' fault changes the simulated hub's TLS certificate, and") == true
        )
        #expect(
            diagnostics("hub: mqtt://127.0.0.1:1883\ndevice: { id: a }\nsteps:\n  - fault: { kind: clock_skew, skew: 1m }\n")
                == ["faults.yaml:4:5: error: a 'clock_skew' fault skews the SAS tokens the harness mints, and the target mqtt://127.0.0.1:1883 is a plain broker, which takes none"]
        )
        #expect(
            diagnostics("hub: mqtt://127.0.0.1:1883\ndevice: { id: a, trusted_roots: both }\nsteps:\n  - connect: {}\n").first?
                .hasPrefix("faults.yaml:4:5: error: device 'a' has trusted_roots: both, which names the simulated hub's root certificates") == true
        )
        #expect(
            diagnostics("device: { id: a, trusted_roots: old }\nsteps:\n  - connect: {}\n").first?
                .contains("trusted_roots 'old' is not one of current, next, both") == true
        )
    }
}
