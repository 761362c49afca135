import Foundation
import IoTHubCore
import IoTHubSimulation
import NIOPosix
@testable import Scenario
import Testing

/// `provision` with X.509 attestation: a device with `cert_file`/`key_file` presents its
/// certificate in the TLS handshake and no password; an individual enrollment knows it by
/// thumbprint, a group by its CA. After assignment it connects with the same certificate.
@Suite struct ProvisioningX509RunTests {
    let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, deadlineScale: 3))

    /// A CA, a device it signed (`cam-ca`), a self-signed device (`cam-self`) and a stranger's
    /// self-signed certificate (`cam-other`), in a temporary folder.
    struct Files {
        let folder: String

        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-dps-x509-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let now = Date()
            let ca = try DeviceCertificateFactory.makeCertificateAuthority(commonName: "dps test CA", now: now, validity: 3600)
            let caKey = try CertificateFiles.privateKey(at: try write(ca, "ca").key)
            try write(try DeviceCertificateFactory.makeDeviceCertificate(deviceID: try DeviceID("cam-ca"), issuer: (ca.certificate, caKey), now: now, validity: 3600), "cam-ca")
            try write(try DeviceCertificateFactory.makeDeviceCertificate(deviceID: try DeviceID("cam-self"), issuer: nil, now: now, validity: 3600), "cam-self")
            try write(try DeviceCertificateFactory.makeDeviceCertificate(deviceID: try DeviceID("cam-self"), issuer: nil, now: now, validity: 3600), "cam-other")
        }

        @discardableResult
        func write(_ issued: DeviceCertificateFactory.Issued, _ name: String) throws -> (certificate: String, key: String) {
            let certificate = "\(folder)/\(name).pem", key = "\(folder)/\(name)-key.pem"
            try Data(issued.certificatePEM.utf8).write(to: URL(fileURLWithPath: certificate))
            try Data(issued.privateKeyPEM.utf8).write(to: URL(fileURLWithPath: key))
            return (certificate, key)
        }

        func remove() { try? FileManager.default.removeItem(atPath: folder) }
    }

    static func scenario(_ files: Files, device: String, presents: String, steps: String) -> String {
        """
        hub:
          kind: simulated
          dps:
            id_scope: 0ne000X509
            retry_after: 0
            enrollments: [ { registration_id: cam-self, attestation: x509, cert_file: \(files.folder)/cam-self.pem } ]
            groups: [ { name: factory, attestation: x509, ca_file: \(files.folder)/ca.pem } ]
        device: { id: \(device), profile: sdk, cert_file: \(files.folder)/\(presents).pem, key_file: \(files.folder)/\(presents)-key.pem }
        steps:
        \(steps)
        """
    }

    static let provisionsAndReceives = """
          - provision: {}
          - expect: { provisioned: assigned, within: 2s }
          - connect: {}
          - expect: { connack: accepted, within: 2s }
          - subscribe: { topic: "devices/${device}/messages/devicebound/#", qos: 1 }
          - send: "on"
          - expect: { led: on, within: 2s }
        """

    @Test("an individual X.509 enrollment (by thumbprint) and a group member (by CA) provision with their certificates, connect and get a C2D", arguments: ["cam-self", "cam-ca"])
    func provisions(device: String) async throws {
        let files = try Files()
        defer { files.remove() }
        let steps = Self.provisionsAndReceives.replacingOccurrences(of: "${device}", with: device)
        let result = await runner.run(try ScenarioLoader.load(yaml: Self.scenario(files, device: device, presents: device, steps: steps), path: "x509.yaml"))
        #expect(result.isPassed, "\(result.steps.map { "\($0.step.number) \($0.step.title): \($0.status)" })")
    }

    @Test("a certificate with the right name that is not the enrolled one is refused with 401, and the hub says why")
    func wrongCertificate() async throws {
        let files = try Files()
        defer { files.remove() }
        let yaml = Self.scenario(files, device: "cam-self", presents: "cam-other", steps: "  - provision: {}")
        let result = await runner.run(try ScenarioLoader.load(yaml: yaml, path: "x509.yaml"))
        guard case .failed(let failure) = result.steps[0].status else {
            Issue.record("\(result.steps[0].status)")
            return
        }
        #expect(failure.observed.contains("refused with 401"), "\(failure)")
        #expect(failure.observed.contains("X.509 individual enrollment"), "the hub's reason: \(failure)")
    }

    @Test("a device with a cert_file cannot also give a key or group: loader error at the step")
    func certificateWithKey() throws {
        let files = try Files()
        defer { files.remove() }
        let yaml = Self.scenario(files, device: "cam-self", presents: "cam-self", steps: "  - provision: { group: factory }")
        #expect(throws: ScenarioLoadError.self) { try ScenarioLoader.load(yaml: yaml, path: "x509.yaml") }
        do {
            _ = try ScenarioLoader.load(yaml: yaml, path: "x509.yaml")
        } catch {
            #expect(error.diagnostics.contains { $0.message.contains("attests with X.509") && $0.location.line == 10 }, "\(error.diagnostics)")
        }
    }
}
