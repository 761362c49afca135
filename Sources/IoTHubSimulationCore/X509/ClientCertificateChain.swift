import Foundation
import IoTHubCore
import SwiftASN1
import X509

/// The certificates a device presented in its TLS handshake, leaf first, as the TLS layer saw
/// them (not verified there: the hub decides at CONNECT, as the real hub does). Parsed once
/// when made.
public struct ClientCertificateChain: Sendable, Hashable {
    /// The device's own certificate.
    public let leaf: Certificate
    /// The certificates sent after it (intermediates), in the order sent.
    public let intermediates: [Certificate]
    /// The leaf's DER bytes, which thumbprints hash.
    public let leafDER: [UInt8]

    /// Parses the chain from DER-encoded certificates, leaf first.
    /// - Throws: ``ClientCertificateChainError`` when it is empty or a certificate cannot be
    ///   parsed.
    public init(der chain: [[UInt8]]) throws(ClientCertificateChainError) {
        guard let first = chain.first else { throw ClientCertificateChainError(reason: "no certificate was presented") }
        var parsed: [Certificate] = []
        for (index, der) in chain.enumerated() {
            do {
                parsed.append(try Certificate(derEncoded: der))
            } catch {
                throw ClientCertificateChainError(reason: "certificate \(index + 1) of the presented chain is not a valid X.509 certificate")
            }
        }
        leaf = parsed[0]
        intermediates = Array(parsed.dropFirst())
        leafDER = first
    }

    /// The leaf's thumbprint with `algorithm`.
    public func thumbprint(_ algorithm: CertificateThumbprint.Algorithm) -> CertificateThumbprint {
        CertificateThumbprint(of: leafDER, algorithm: algorithm)
    }

    /// The leaf subject's common name, if it has one.
    public var commonName: String? {
        leaf.subject.commonName
    }
}

extension DistinguishedName {
    /// The last common name (CN) of the name, as text.
    var commonName: String? {
        var found: String?
        for rdn in self {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                found = String(attribute.value)
            }
        }
        return found
    }
}

/// A presented chain that could not be read.
public struct ClientCertificateChainError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

/// A certificate authority registered on the hub for CA-signed devices (IoT Hub's
/// "Certificates" blade): its name, certificate, and whether proof of possession of its key
/// was given (`isVerified`). Only verified CAs authenticate devices.
public struct RegisteredCertificateAuthority: Sendable, Hashable {
    public var name: String
    public var certificate: Certificate
    public var isVerified: Bool

    public init(name: String, certificate: Certificate, isVerified: Bool = true) {
        self.name = name
        self.certificate = certificate
        self.isVerified = isVerified
    }

    /// The CA certificate's SHA-1 thumbprint (how the real hub lists CAs).
    public var thumbprint: CertificateThumbprint {
        var serializer = DER.Serializer()
        let der = (try? serializer.serialize(certificate)).map { serializer.serializedBytes } ?? []
        return CertificateThumbprint(of: der, algorithm: .sha1)
    }
}
