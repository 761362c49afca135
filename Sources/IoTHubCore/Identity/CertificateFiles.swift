import Crypto
import Foundation
import SwiftASN1
import X509

/// Reads the PEM files of X.509 device authentication (`harness cert`, `harness hub
/// --x509-ca`, scenario devices' `cert_file`/`key_file`). Errors name the file and say what is
/// wrong in plain words; key material never appears in them.
public enum CertificateFiles {
    /// The certificate in the PEM file at `path` (the first one, when it holds a chain).
    /// - Throws: ``CertificateFileError`` naming the file.
    public static func certificate(at path: String) throws(CertificateFileError) -> Certificate {
        try certificateChain(at: path)[0]
    }

    /// Every certificate in the PEM file at `path`, in file order (at least one).
    /// - Throws: ``CertificateFileError`` naming the file.
    public static func certificateChain(at path: String) throws(CertificateFileError) -> [Certificate] {
        let text = try read(path)
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            throw CertificateFileError(path: path, reason: "it is not a PEM file (expected -----BEGIN CERTIFICATE-----)")
        }
        let certificates = documents.filter { $0.discriminator == "CERTIFICATE" }
        guard !certificates.isEmpty else {
            throw CertificateFileError(path: path, reason: "it holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        var chain: [Certificate] = []
        for document in certificates {
            do {
                chain.append(try Certificate(pemDocument: document))
            } catch {
                throw CertificateFileError(path: path, reason: "its certificate is not a valid X.509 certificate")
            }
        }
        return chain
    }

    /// The private key in the PEM file at `path` (PKCS #8, SEC 1 EC or PKCS #1 RSA).
    /// - Throws: ``CertificateFileError`` naming the file.
    public static func privateKey(at path: String) throws(CertificateFileError) -> Certificate.PrivateKey {
        let text = try read(path)
        do {
            return try Certificate.PrivateKey(pemEncoded: text)
        } catch {
            throw CertificateFileError(path: path, reason: "it holds no PEM private key that can be read (P-256/P-384/P-521 EC or RSA)")
        }
    }

    /// Checks that the key file belongs to the certificate file: the key's public half is the
    /// certificate's.
    /// - Returns: the certificate and the key.
    /// - Throws: ``CertificateFileError`` naming the file that is wrong.
    @discardableResult
    public static func matchingPair(certificate certificatePath: String, key keyPath: String) throws(CertificateFileError) -> (Certificate, Certificate.PrivateKey) {
        let certificate = try certificate(at: certificatePath)
        let key = try privateKey(at: keyPath)
        guard key.publicKey == certificate.publicKey else {
            throw CertificateFileError(path: keyPath, reason: "this private key does not belong to the certificate \(certificatePath)")
        }
        return (certificate, key)
    }

    /// The DER bytes of `certificate`.
    public static func der(of certificate: Certificate) -> [UInt8] {
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(certificate)) != nil else { return [] }
        return serializer.serializedBytes
    }

    /// The SHA-1 and SHA-256 thumbprints of `certificate`, as IoT Hub registers them.
    public static func thumbprints(of certificate: Certificate) -> (sha1: CertificateThumbprint, sha256: CertificateThumbprint) {
        let der = der(of: certificate)
        return (CertificateThumbprint(of: der, algorithm: .sha1), CertificateThumbprint(of: der, algorithm: .sha256))
    }

    /// The CA certificate in the PEM file at `path` (its basic constraints say CA).
    /// - Throws: ``CertificateFileError`` when the file cannot be read or is not a CA's.
    public static func authorityCertificate(at path: String) throws(CertificateFileError) -> Certificate {
        let certificate = try certificate(at: path)
        guard let basic = try? certificate.extensions.basicConstraints, case .isCertificateAuthority = basic else {
            throw CertificateFileError(path: path, reason: "the certificate is not a CA certificate (its basic constraints do not say CA)")
        }
        return certificate
    }

    static func read(_ path: String) throws(CertificateFileError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CertificateFileError(path: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot read it (permission denied?)" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CertificateFileError(path: path, reason: "it is not a PEM file (not text)")
        }
        return text
    }
}

extension DistinguishedName {
    /// The last common name, as text.
    public var commonNameText: String? {
        var found: String?
        for rdn in self {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName { found = String(attribute.value) }
        }
        return found
    }
}

/// A certificate or key file that cannot be used.
public struct CertificateFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): \(reason)" }
}

/// An X.509 certificate (swift-certificates' type), for modules that do not import X509.
public typealias X509Certificate = Certificate
/// A certificate's private key (swift-certificates' type), for modules that do not import X509.
public typealias X509PrivateKey = Certificate.PrivateKey
