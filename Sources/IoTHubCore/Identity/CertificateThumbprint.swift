import Foundation
import Crypto

/// A certificate thumbprint as IoT Hub registers it for a self-signed X.509 device: the SHA-1
/// (40 hex digits) or SHA-256 (64 hex digits) hash of the certificate's DER bytes. Validated
/// once when made; kept in upper case, without separators.
public struct CertificateThumbprint: Sendable, Hashable, CustomStringConvertible {
    /// Which hash a thumbprint is.
    public enum Algorithm: String, Sendable, Hashable {
        case sha1 = "SHA-1"
        case sha256 = "SHA-256"
    }

    /// The hex digits, upper case.
    public let hex: String
    public let algorithm: Algorithm

    /// Parses a thumbprint as people copy it: hex digits in either case, optionally separated
    /// by colons or spaces (as `openssl x509 -fingerprint` and the Azure portal show them).
    /// - Throws: ``CertificateThumbprintError`` when it is not 40 or 64 hex digits.
    public init(parsing text: String) throws(CertificateThumbprintError) {
        let digits = text.filter { $0 != ":" && $0 != " " }
        guard !digits.isEmpty, digits.allSatisfy(\.isHexDigit), digits.allSatisfy(\.isASCII) else {
            throw CertificateThumbprintError(text: text, reason: "it is not hexadecimal")
        }
        switch digits.count {
        case 40: algorithm = .sha1
        case 64: algorithm = .sha256
        default: throw CertificateThumbprintError(text: text, reason: "it has \(digits.count) hex digits; a SHA-1 thumbprint has 40 and a SHA-256 one 64")
        }
        hex = digits.uppercased()
    }

    /// The thumbprint of the certificate whose DER encoding is `der`.
    public init<Bytes: DataProtocol>(of der: Bytes, algorithm: Algorithm) {
        self.algorithm = algorithm
        switch algorithm {
        case .sha1: hex = Self.hex(Insecure.SHA1.hash(data: der))
        case .sha256: hex = Self.hex(SHA256.hash(data: der))
        }
    }

    public var description: String { hex }

    private static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789ABCDEF")
        var text = ""
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return text
    }
}

/// A thumbprint that could not be parsed.
public struct CertificateThumbprintError: Error, Sendable, Hashable, CustomStringConvertible {
    public var text: String
    public var reason: String

    public var description: String { "'\(text)' is not a certificate thumbprint: \(reason)" }
}
