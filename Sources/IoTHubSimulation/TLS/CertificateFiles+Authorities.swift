import Foundation
import IoTHubCore
import IoTHubSimulationCore
import X509

extension CertificateFiles {
    /// The CA certificate in the PEM file at `path`, registered as verified under its common
    /// name (or the file's name when it has none).
    /// - Throws: ``CertificateFileError`` when the file cannot be read or is not a CA's.
    public static func certificateAuthority(at path: String) throws(CertificateFileError) -> RegisteredCertificateAuthority {
        let certificate = try authorityCertificate(at: path)
        let name = certificate.subject.commonNameText ?? ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return RegisteredCertificateAuthority(name: name, certificate: certificate, isVerified: true)
    }

    /// Whether `authority` signed `certificate` directly (its subject is the certificate's
    /// issuer and its key verifies the signature).
    public static func isIssued(_ certificate: Certificate, by authority: RegisteredCertificateAuthority) -> Bool {
        certificate.issuer == authority.certificate.subject && authority.certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
    }
}
