import Crypto
import Foundation
import _CryptoExtras
import IoTHubSimulationCore
import SwiftASN1
import X509

/// The CA the hub signs its server certificates with: made fresh, or loaded from the PEM files
/// of an earlier start, so a board that holds the CA keeps trusting the hub across restarts.
public struct HubCertificateAuthority: Sendable {
    /// The CA certificate clients trust.
    public let certificate: Certificate
    /// The CA key's raw scalar (the Crypto key type is not `Sendable`).
    private let privateKeyBytes: Data
    private let keyIdentifier: SubjectKeyIdentifier

    /// Makes a root CA with a new P-256 key, valid from one hour before `now` for `validity`,
    /// that may sign one level of intermediate CAs.
    /// - Parameter now: real wall-clock time (what clients verify against).
    /// - Parameter commonName: the CA's name, as clients show it in certificate chains.
    public static func make(
        now: Date,
        validity: TimeInterval,
        commonName: String = "harness simulated IoT Hub CA"
    ) throws(HubTLSError) -> HubCertificateAuthority {
        try make(now: now, validity: validity, commonName: commonName, maxPathLength: 1, issuer: nil)
    }

    /// Makes an intermediate CA with a new P-256 key, signed by this CA (which must allow it:
    /// ``allowsIntermediates``), valid from one hour before `now` for `validity` and never past
    /// this CA's end. It may sign end-entity certificates only.
    public func issueIntermediate(
        now: Date,
        validity: TimeInterval,
        commonName: String = "harness simulated IoT Hub intermediate CA"
    ) throws(HubTLSError) -> HubCertificateAuthority {
        try Self.make(
            now: now,
            validity: min(validity, certificate.notValidAfter.timeIntervalSince(now)),
            commonName: commonName,
            maxPathLength: 0,
            issuer: self
        )
    }

    /// Whether this CA may sign intermediate CAs (path length above 0). Roots made before the
    /// hub's chain had an intermediate may not; a kept one then signs server certificates
    /// directly, so boards that hold it keep trusting the hub.
    public var allowsIntermediates: Bool {
        guard let basic = try? certificate.extensions.basicConstraints, case .isCertificateAuthority(let length) = basic else { return false }
        return length.map { $0 > 0 } ?? true
    }

    private static func make(
        now: Date,
        validity: TimeInterval,
        commonName: String,
        maxPathLength: Int,
        issuer: HubCertificateAuthority?
    ) throws(HubTLSError) -> HubCertificateAuthority {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let keyID = SubjectKeyIdentifier(hash: publicKey)
        let signingKey = try issuer?.privateKey ?? key
        do {
            let name = try DistinguishedName {
                OrganizationName("harness")
                CommonName(commonName)
            }
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-3600),
                notValidAfter: now.addingTimeInterval(validity),
                issuer: issuer?.certificate.subject ?? name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: maxPathLength))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    keyID
                    if let issuer { AuthorityKeyIdentifier(keyIdentifier: issuer.keyIdentifier.keyIdentifier) }
                },
                issuerPrivateKey: Certificate.PrivateKey(signingKey)
            )
            return HubCertificateAuthority(certificate: certificate, privateKey: key, keyIdentifier: keyID)
        } catch {
            throw .setupFailed(reason: "making the hub's CA: \(error)")
        }
    }

    /// Loads a CA from its certificate and private key (as ``certificatePEM`` and
    /// ``privateKeyPEM`` wrote them).
    /// - Parameter path: the file they came from, named in errors.
    /// - Throws: ``HubTLSError/invalidPEM(path:reason:)`` when either cannot be read, the key
    ///   does not belong to the certificate, or the certificate is not a CA's.
    public init(certificatePEM: String, privateKeyPEM: String, path: String) throws(HubTLSError) {
        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
        } catch {
            throw .invalidPEM(path: path, reason: "no PEM certificate could be read")
        }
        let key: P256.Signing.PrivateKey
        do {
            key = try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw .invalidPEM(path: path, reason: "no P-256 private key could be read")
        }
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw .invalidPEM(path: path, reason: "the private key does not belong to the CA certificate")
        }
        guard let basic = try? certificate.extensions.basicConstraints, case .isCertificateAuthority = basic else {
            throw .invalidPEM(path: path, reason: "the certificate is not a CA certificate")
        }
        self.init(certificate: certificate, privateKey: key, keyIdentifier: SubjectKeyIdentifier(hash: certificate.publicKey))
    }

    private init(certificate: Certificate, privateKey: P256.Signing.PrivateKey, keyIdentifier: SubjectKeyIdentifier) {
        self.certificate = certificate
        self.privateKeyBytes = privateKey.rawRepresentation
        self.keyIdentifier = keyIdentifier
    }

    private var privateKey: P256.Signing.PrivateKey {
        get throws(HubTLSError) {
            do {
                return try P256.Signing.PrivateKey(rawRepresentation: privateKeyBytes)
            } catch {
                throw .setupFailed(reason: "the CA key: \(error)")
            }
        }
    }

    /// The CA certificate as PEM.
    public var certificatePEM: String {
        get throws(HubTLSError) {
            do {
                return try certificate.serializeAsPEM().pemString
            } catch {
                throw .setupFailed(reason: "encoding the CA certificate: \(error)")
            }
        }
    }

    /// The CA's private key as PEM (PKCS #8). Secret: it is written with owner-only access.
    public var privateKeyPEM: String {
        get throws(HubTLSError) { try privateKey.pemRepresentation }
    }

    /// Whether the CA is valid from `now` for at least `duration` more.
    public func isValid(at now: Date, for duration: TimeInterval) -> Bool {
        certificate.notValidBefore <= now && certificate.notValidAfter >= now.addingTimeInterval(duration)
    }

    /// Issues a server certificate with a new RSA-2048 key (as the real hub's, so the
    /// ECDHE_RSA suites of ``HubTLSProfile`` work) for `hostNames` (DNS) and `ipAddresses`
    /// as subject alternative names, valid from one hour before `now` for `validity` (never
    /// past the CA's own end).
    /// - Returns: the certificate and its private key, as PEM.
    /// - Throws: ``HubTLSError`` for a bad IP address or a failure to sign.
    public func issueServerCertificate(
        hostNames: [String],
        ipAddresses: [String],
        now: Date,
        validity: TimeInterval
    ) throws(HubTLSError) -> (certificatePEM: String, privateKeyPEM: String) {
        try issueServerCertificate(
            hostNames: hostNames,
            ipAddresses: ipAddresses,
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: min(now.addingTimeInterval(validity), certificate.notValidAfter)
        )
    }

    /// Issues a server certificate with a new RSA-2048 key for `hostNames` (DNS) and `ipAddresses`
    /// valid exactly from `notValidBefore` to `notValidAfter`, which may lie in the past (an
    /// expired certificate, for the hub's `certificate_expired` fault).
    /// - Returns: the certificate and its private key, as PEM.
    /// - Throws: ``HubTLSError`` for a bad IP address or a failure to sign.
    public func issueServerCertificate(
        hostNames: [String],
        ipAddresses: [String],
        notValidBefore: Date,
        notValidAfter: Date
    ) throws(HubTLSError) -> (certificatePEM: String, privateKeyPEM: String) {
        let addresses = try ipAddresses.map { text throws(HubTLSError) in try HubCertificateFactory.ipAddressBytes(text) }
        let issuerKey = try privateKey
        let key = try ServerKey.shared()
        let publicKey = Certificate.PublicKey(key.publicKey)
        do {
            let subject = try DistinguishedName {
                OrganizationName("harness")
                CommonName(hostNames.first ?? ipAddresses.first ?? "localhost")
            }
            let names = hostNames.map { GeneralName.dnsName($0) } + addresses.map { GeneralName.ipAddress(ASN1OctetString(contentBytes: $0[...])) }
            let server = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: publicKey,
                notValidBefore: notValidBefore,
                notValidAfter: notValidAfter,
                issuer: certificate.subject,
                subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectAlternativeNames(names)
                    SubjectKeyIdentifier(hash: publicKey)
                    AuthorityKeyIdentifier(keyIdentifier: keyIdentifier.keyIdentifier)
                },
                issuerPrivateKey: Certificate.PrivateKey(issuerKey)
            )
            return (try server.serializeAsPEM().pemString, key.pemRepresentation)
        } catch {
            throw .setupFailed(reason: "making the hub's server certificate: \(error)")
        }
    }
}
