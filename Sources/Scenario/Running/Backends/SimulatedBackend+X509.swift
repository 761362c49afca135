import Foundation
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore

extension SimulatedBackend {
    /// How the simulated hub registers a scenario device that has a `cert_file`: as CA-signed
    /// when the hub's `x509_ca` signed the certificate, otherwise by the certificate's SHA-1
    /// thumbprint (a self-signed device).
    /// - Throws: ``SessionError`` naming the file when it cannot be read.
    static func x509Authentication(of path: String, authority: RegisteredCertificateAuthority?) throws -> DeviceAuthentication {
        let certificate: X509Certificate
        do {
            certificate = try CertificateFiles.certificate(at: path)
        } catch {
            throw SessionError(description: "cert_file \(error)")
        }
        if let authority, CertificateFiles.isIssued(certificate, by: authority) { return .certificateAuthority }
        return .selfSigned(primary: CertificateFiles.thumbprints(of: certificate).sha1, secondary: nil)
    }
}
