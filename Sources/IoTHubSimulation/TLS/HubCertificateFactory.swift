import Crypto
import Foundation
import SwiftASN1
import X509

/// A CA and a server certificate signed by it, as PEM text.
public struct GeneratedCertificates: Sendable {
    /// The CA certificate clients trust.
    public var caCertificatePEM: String
    /// The server certificate.
    public var serverCertificatePEM: String
    /// The server's private key (PKCS #8). Secret.
    public var serverPrivateKeyPEM: String
}

/// Makes the hub's own CA and server certificate at start, so TLS works without user files
/// (also used to give another broker, such as Mosquitto in `harness bench hub`, the same
/// certificate).
public enum HubCertificateFactory {
    /// Makes a CA valid from one hour before `now` for `validity`, and a server certificate
    /// for `hostNames` and `ipAddresses` signed by it. `now` is real (wall-clock) time, which
    /// is what clients verify against, not the hub's jumpable clock.
    /// - Throws: ``HubTLSError`` for a bad IP address or a failure to sign.
    public static func make(
        hostNames: [String],
        ipAddresses: [String],
        now: Date,
        validity: TimeInterval = 30 * 24 * 3600
    ) throws(HubTLSError) -> GeneratedCertificates {
        let addresses = try ipAddresses.map { text throws(HubTLSError) in try ipAddressBytes(text) }
        do {
            let caKey = P256.Signing.PrivateKey()
            let serverKey = P256.Signing.PrivateKey()
            let caPublicKey = Certificate.PublicKey(caKey.publicKey)
            let caKeyID = SubjectKeyIdentifier(hash: caPublicKey)
            let caName = try DistinguishedName {
                OrganizationName("harness")
                CommonName("harness simulated IoT Hub CA")
            }
            let notBefore = now.addingTimeInterval(-3600)
            let notAfter = now.addingTimeInterval(validity)
            let ca = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: caPublicKey,
                notValidBefore: notBefore,
                notValidAfter: notAfter,
                issuer: caName,
                subject: caName,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    caKeyID
                },
                issuerPrivateKey: Certificate.PrivateKey(caKey)
            )
            let serverPublicKey = Certificate.PublicKey(serverKey.publicKey)
            let serverName = try DistinguishedName {
                OrganizationName("harness")
                CommonName(hostNames.first ?? "localhost")
            }
            let names = hostNames.map { GeneralName.dnsName($0) } + addresses.map { GeneralName.ipAddress(ASN1OctetString(contentBytes: $0[...])) }
            let server = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: serverPublicKey,
                notValidBefore: notBefore,
                notValidAfter: notAfter,
                issuer: caName,
                subject: serverName,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true, keyAgreement: true))
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectAlternativeNames(names)
                    SubjectKeyIdentifier(hash: serverPublicKey)
                    AuthorityKeyIdentifier(keyIdentifier: caKeyID.keyIdentifier)
                },
                issuerPrivateKey: Certificate.PrivateKey(caKey)
            )
            return GeneratedCertificates(
                caCertificatePEM: try ca.serializeAsPEM().pemString,
                serverCertificatePEM: try server.serializeAsPEM().pemString,
                serverPrivateKeyPEM: serverKey.pemRepresentation
            )
        } catch {
            throw .setupFailed(reason: "making the hub's certificates: \(error)")
        }
    }

    /// The 4 (IPv4) or 16 (IPv6) bytes of an address.
    static func ipAddressBytes(_ text: String) throws(HubTLSError) -> [UInt8] {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        throw .invalidIPAddress(text)
    }
}
