import Crypto
import Foundation
import SwiftASN1
import X509

/// Certificates made in memory for the X.509 authentication tests.
struct TestCertificate {
    let certificate: Certificate
    let key: P256.Signing.PrivateKey

    var der: [UInt8] {
        var serializer = DER.Serializer()
        try? serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    /// A certificate for `commonName`, signed by `issuer` (self-signed when nil), valid from
    /// `from` to `until`.
    static func make(
        _ commonName: String,
        issuer: TestCertificate? = nil,
        isAuthority: Bool = false,
        from: Date = Date(timeIntervalSince1970: 1_700_000_000),
        until: Date = Date(timeIntervalSince1970: 1_900_000_000)
    ) throws -> TestCertificate {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName { CommonName(commonName) }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: from,
            notValidAfter: until,
            issuer: issuer?.certificate.subject ?? subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                if isAuthority {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                } else {
                    Critical(BasicConstraints.notCertificateAuthority)
                }
            },
            issuerPrivateKey: Certificate.PrivateKey(issuer?.key ?? key)
        )
        return TestCertificate(certificate: certificate, key: key)
    }
}
