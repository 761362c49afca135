import Foundation
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
@testable import Scenario
import Testing

/// How a scenario device's `cert_file` is registered on the simulated hub.
@Suite struct X509RegistrationTests {
    @Test("a certificate the hub's x509_ca signed is registered as CA-signed; any other by its SHA-1 thumbprint; an unreadable one is an error naming the file")
    func registration() throws {
        let files = try X509DeviceRunTests.Files()
        defer { files.remove() }
        let authority = try CertificateFiles.certificateAuthority(at: "\(files.folder)/ca.pem")
        #expect(try SimulatedBackend.x509Authentication(of: "\(files.folder)/cam-ca.pem", authority: authority) == .certificateAuthority)
        let selfSigned = try CertificateFiles.certificate(at: "\(files.folder)/cam-self.pem")
        let expected = DeviceAuthentication.selfSigned(primary: CertificateFiles.thumbprints(of: selfSigned).sha1, secondary: nil)
        #expect(try SimulatedBackend.x509Authentication(of: "\(files.folder)/cam-self.pem", authority: authority) == expected)
        // Without the CA registered, a CA-signed certificate is registered by thumbprint.
        if case .selfSigned = try SimulatedBackend.x509Authentication(of: "\(files.folder)/cam-ca.pem", authority: nil) {} else {
            Issue.record("a CA-signed certificate without x509_ca was not registered by thumbprint")
        }
        #expect(throws: (any Error).self) { try SimulatedBackend.x509Authentication(of: "\(files.folder)/junk.pem", authority: nil) }
    }
}
