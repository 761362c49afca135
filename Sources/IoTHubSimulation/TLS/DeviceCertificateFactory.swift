import Crypto
import Foundation
import IoTHubCore
import SwiftASN1
import X509

/// Makes test certificates for X.509 devices with swift-certificates (never openssl): a CA to
/// register on the hub for CA-signed devices, and device certificates signed by such a CA or
/// self-signed (registered by thumbprint). Keys are P-256.
public enum DeviceCertificateFactory {
    /// A certificate and its private key, as PEM. The key is secret.
    public struct Issued: Sendable {
        public var certificatePEM: String
        public var privateKeyPEM: String
        public var certificate: Certificate
    }

    /// A CA that may sign device certificates (and one level of intermediates), valid from one
    /// hour before `now` for `validity`.
    public static func makeCertificateAuthority(commonName: String, now: Date, validity: TimeInterval) throws(CertificateFileError) -> Issued {
        try make(commonName: commonName, isAuthority: true, issuer: nil, now: now, validity: validity)
    }

    /// A device certificate whose subject's common name is `deviceID`, signed by `issuer` (a
    /// CA certificate and its key), or self-signed when `issuer` is nil. It never outlives its
    /// issuer.
    public static func makeDeviceCertificate(
        deviceID: DeviceID,
        issuer: (certificate: Certificate, key: Certificate.PrivateKey)?,
        now: Date,
        validity: TimeInterval
    ) throws(CertificateFileError) -> Issued {
        try make(commonName: deviceID.string, isAuthority: false, issuer: issuer, now: now, validity: validity)
    }

    private static func make(
        commonName: String,
        isAuthority: Bool,
        issuer: (certificate: Certificate, key: Certificate.PrivateKey)?,
        now: Date,
        validity: TimeInterval
    ) throws(CertificateFileError) -> Issued {
        let key = P256.Signing.PrivateKey()
        let privateKey = Certificate.PrivateKey(key)
        let publicKey = Certificate.PublicKey(key.publicKey)
        do {
            let subject = try DistinguishedName {
                OrganizationName("harness test devices")
                CommonName(commonName)
            }
            var notValidAfter = now.addingTimeInterval(validity)
            if let issuer { notValidAfter = min(notValidAfter, issuer.certificate.notValidAfter) }
            let signer = issuer?.key ?? privateKey
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-3600),
                notValidAfter: notValidAfter,
                issuer: issuer?.certificate.subject ?? subject,
                subject: subject,
                extensions: try Certificate.Extensions {
                    if isAuthority {
                        Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 1))
                        Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    } else {
                        Critical(BasicConstraints.notCertificateAuthority)
                        Critical(KeyUsage(digitalSignature: true, keyAgreement: true))
                        try ExtendedKeyUsage([.clientAuth])
                    }
                    SubjectKeyIdentifier(hash: publicKey)
                    if let issuer { AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: issuer.certificate.publicKey).keyIdentifier) }
                },
                issuerPrivateKey: signer
            )
            return Issued(certificatePEM: try certificate.serializeAsPEM().pemString, privateKeyPEM: try privateKey.serializeAsPEM().pemString, certificate: certificate)
        } catch {
            throw CertificateFileError(path: commonName, reason: "the certificate could not be made: \(error)")
        }
    }
}
