import Glibc
import NIOCore
import NIOPosix
import NIOSSL

/// A connection error in plain words, for device events and reports: what failed in the TLS
/// handshake or on the socket, never a library's type names.
public enum TransportErrorText {
    /// `TLS handshake failed: the server's certificate is not trusted (CERTIFICATE_VERIFY_FAILED)`,
    /// `the connection was closed without a TLS close_notify`, `connection reset by peer`.
    public static func describe(_ error: any Error) -> String {
        switch error {
        case let error as NIOSSLError:
            return describe(error)
        case let error as NIOSSLExtraError:
            let text = "\(error)"
            if text.contains("hostname") || text.contains("Hostname") { return "TLS handshake failed: the server's certificate is not for the host name asked for" }
            return "TLS: " + text
        case let error as IOError:
            // `read(descriptor:pointer:size:): Connection reset by peer (errno: 104)` names a
            // system call; the reason is what a reader wants.
            return String(cString: strerror(error.errnoCode)).lowercased()
        case let error as NIOConnectionError:
            let reasons = error.connectionErrors.map { describe($0.error) }
            let address = "\(error.host):\(error.port)"
            if let first = reasons.first { return "\(first) (\(address))" }
            return error.dnsAAAAError.map { "cannot resolve \(address): \(describe($0))" } ?? "cannot connect to \(address)"
        case let error as ChannelError:
            return describe(error)
        default:
            return "\(error)"
        }
    }

    /// Why a TLS context could not be made from `settings`: `cannot read the CA file
    /// /path/ca.pem (not a PEM certificate, or unreadable)`.
    public static func describeSetup(_ error: any Error, settings: ClientTLS?) -> String {
        if let error = error as? NIOSSLError, case .failedToLoadCertificate = error {
            return "cannot load a certificate" + (settings?.caFile.map { " from \($0)" } ?? "")
        }
        if let caFile = settings?.caFile { return "cannot read the CA file \(caFile) (missing, unreadable, or not PEM certificates)" }
        if let certificate = settings?.certificateFile { return "cannot read the client certificate \(certificate) or its key" }
        return describe(error)
    }

    static func describe(_ error: NIOSSLError) -> String {
        switch error {
        case .handshakeFailed(let inner):
            return "TLS handshake failed: " + describe(inner)
        case .uncleanShutdown:
            return "the connection was closed without a TLS close_notify"
        case .unableToValidateCertificate, .noCertificateToValidate:
            return "TLS handshake failed: the server's certificate could not be checked"
        case .cannotMatchULabel:
            return "TLS handshake failed: the host name cannot be matched against the certificate"
        case .readInInvalidTLSState:
            return "TLS: data arrived after the connection was closed"
        case .writeDuringTLSShutdown:
            return "TLS: a write came after the close began"
        default:
            return "TLS error"
        }
    }

    static func describe(_ error: BoringSSLError) -> String {
        let text = "\(error)"
        let reasons: [(String, String)] = [
            ("EOF during handshake", "the server closed the connection during the handshake"),
            ("CERTIFICATE_VERIFY_FAILED", "the server's certificate is not trusted (CERTIFICATE_VERIFY_FAILED)"),
            ("certificate has expired", "the server's certificate has expired"),
            ("CERTIFICATE_EXPIRED", "the server's certificate has expired"),
            ("WRONG_VERSION_NUMBER", "the server does not speak TLS (WRONG_VERSION_NUMBER)"),
            ("TLSV1_ALERT_PROTOCOL_VERSION", "no TLS version both sides accept"),
            ("NO_SHARED_CIPHER", "no cipher both sides accept"),
            ("ALERT_HANDSHAKE_FAILURE", "the server refused the handshake"),
            ("ALERT_CERTIFICATE_REQUIRED", "the server asks for a client certificate"),
            ("ALERT_UNKNOWN_CA", "the server does not trust the client certificate's CA"),
        ]
        if let match = reasons.first(where: { text.contains($0.0) }) { return match.1 }
        if case .sslError(let errors) = error, let first = errors.first {
            // `Error: 268435581:SSL routines:OPENSSL_internal:REASON` keeps its reason only.
            let reason = "\(first)".split(separator: ":").last.map { String($0.drop { $0 == " " }) } ?? ""
            return reason.isEmpty ? "unknown TLS error" : reason
        }
        return "unknown TLS error"
    }

    static func describe(_ error: ChannelError) -> String {
        switch error {
        case .connectTimeout(let timeout): "no connection within \(timeout)"
        case .ioOnClosedChannel, .alreadyClosed: "the connection was already closed"
        case .eof: "the connection was closed"
        case .outputClosed: "the connection's sending side was closed"
        default: "connection error"
        }
    }
}
