import Foundation
import IoTHubCore
import IoTHubSimulation
import NIOPosix
import Scenario
import Testing

/// Scenario devices with `cert_file`/`key_file` against the simulated hub over TLS: registered
/// by thumbprint, or as CA-signed under the hub's `x509_ca`; refusals and bad files.
@Suite struct X509DeviceRunTests {
    let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton, deadlineScale: 3))

    /// A CA, a device certificate it signed, a self-signed one, and another device's key, in a
    /// temporary folder.
    struct Files {
        let folder: String

        init() throws {
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-x509-run-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let now = Date()
            let ca = try DeviceCertificateFactory.makeCertificateAuthority(commonName: "run test CA", now: now, validity: 3600)
            let caKey = try CertificateFiles.privateKey(at: try write(ca, "ca").key)
            _ = try write(try DeviceCertificateFactory.makeDeviceCertificate(deviceID: try DeviceID("cam-ca"), issuer: (ca.certificate, caKey), now: now, validity: 3600), "cam-ca")
            _ = try write(try DeviceCertificateFactory.makeDeviceCertificate(deviceID: try DeviceID("cam-self"), issuer: nil, now: now, validity: 3600), "cam-self")
            try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: "\(folder)/junk.pem"))
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

    static func scenario(device: String, hub: String, files: Files, key: String? = nil) -> String {
        """
        hub: \(hub)
        device: { id: \(device), profile: sdk, cert_file: \(files.folder)/\(device).pem, key_file: \(key ?? "\(files.folder)/\(device)-key.pem") }
        steps:
          - connect: { clean_session: false }
          - expect: { connack: accepted, within: 2s }
          - subscribe: devices/\(device)/messages/devicebound/#
          - send: "on"
          - expect: { led: on, within: 2s }
        """
    }

    @Test("a CA-signed device (hub x509_ca) and a self-signed device connect with their certificates and no token, and get C2D", arguments: ["cam-ca", "cam-self"])
    func connects(device: String) async throws {
        let files = try Files()
        defer { files.remove() }
        let yaml = Self.scenario(device: device, hub: "{ kind: simulated, x509_ca: \(files.folder)/ca.pem }", files: files)
        let result = await runner.run(try ScenarioLoader.load(yaml: yaml, path: "\(device).yaml"))
        #expect(result.isPassed, "\(result.steps.map { "\($0.step.number) \($0.status)" })")
    }

    @Test("over plain TCP no certificate reaches the hub: the X.509 device is refused with CONNACK 5 and the hub's reason in the report")
    func refusedWithoutCertificate() async throws {
        let files = try Files()
        defer { files.remove() }
        let yaml = """
            hub: { kind: simulated, tls: false }
            device: { id: cam-self, profile: sdk, cert_file: \(files.folder)/cam-self.pem, key_file: \(files.folder)/cam-self-key.pem }
            steps:
              - connect: { clean_session: false }
              - expect: { connack: not_authorized, within: 2s }
            """
        let result = await runner.run(try ScenarioLoader.load(yaml: yaml, path: "refused.yaml"))
        #expect(result.isPassed, "\(result.steps.map { "\($0.step.number) \($0.status)" })")
        let lines = result.entries.compactMap { entry -> String? in
            if case .cloud(let event) = entry.event { return RecordText.cloudLine(event) }
            return nil
        }
        #expect(lines.contains { $0.contains("refused 'cam-self' with CONNACK") && $0.contains("none was presented in the TLS handshake") }, "\(lines)")
    }

    @Test("bad files are load errors naming the file and the line: not PEM, a key of another certificate, one without the other, an x509_ca that is not PEM, an unknown tls_profile")
    func badFiles() throws {
        let files = try Files()
        defer { files.remove() }
        func problems(_ yaml: String) -> String {
            do {
                _ = try ScenarioLoader.load(yaml: yaml, path: "bad.yaml")
                return ""
            } catch {
                return "\(error)"
            }
        }
        let notPEM = problems("device: { id: cam-self, cert_file: \(files.folder)/junk.pem, key_file: \(files.folder)/cam-self-key.pem }\nsteps: [ { wait: 1ms } ]")
        #expect(notPEM.contains("bad.yaml:1:") && notPEM.contains("\(files.folder)/junk.pem: it holds no PEM certificate"), "\(notPEM)")
        let mismatched = problems("device: { id: cam-self, cert_file: \(files.folder)/cam-self.pem, key_file: \(files.folder)/cam-ca-key.pem }\nsteps: [ { wait: 1ms } ]")
        #expect(mismatched.contains("\(files.folder)/cam-ca-key.pem: this private key does not belong to the certificate \(files.folder)/cam-self.pem"), "\(mismatched)")
        #expect(!mismatched.contains("PRIVATE KEY"))
        let alone = problems("device: { id: cam-self, cert_file: \(files.folder)/cam-self.pem }\nsteps: [ { wait: 1ms } ]")
        #expect(alone.contains("cert_file needs a key_file"), "\(alone)")
        let badCA = problems("hub: { kind: simulated, x509_ca: \(files.folder)/junk.pem }\ndevice: { id: d }\nsteps: [ { wait: 1ms } ]")
        #expect(badCA.contains("x509_ca: \(files.folder)/junk.pem: it holds no PEM certificate"), "\(badCA)")
        let profile = problems("hub: { kind: simulated, tls_profile: modern }\ndevice: { id: d }\nsteps: [ { wait: 1ms } ]")
        #expect(profile.contains("bad.yaml:1:") && profile.contains("tls_profile 'modern' is not a TLS profile"), "\(profile)")
    }

    @Test("the legacy profile is named in the run's hub description")
    func legacyNamed() throws {
        let scenario = try ScenarioLoader.load(yaml: "hub: { kind: simulated, tls_profile: legacy }\ndevice: { id: d }\nsteps: [ { wait: 1ms } ]", path: "legacy.yaml")
        #expect("\(scenario.targets.first?.hub.description ?? "")" == "simulated (TLS profile legacy)")
    }
}
