import Glibc
import NIOCore
import NIOPosix
import NIOSSL

/// A connection error in plain words, for device events, reports and the command line: what
/// failed in the TLS handshake or on the socket, and what to check, never a library's type
/// names.
public enum TransportErrorText {
    /// `connection to 127.0.0.1:1883 refused: is the broker running?`,
    /// `TLS handshake failed: the server's certificate is not trusted (CERTIFICATE_VERIFY_FAILED)`,
    /// `the connection was closed without a TLS close_notify`, `connection reset by peer`.
    /// - Parameters:
    ///   - address: `host:port` the connection was for, when the error does not carry it (a
    ///     connect timeout).
    ///   - peer: what listens there, for the hint (`broker`, `hub`, `token service`).
    public static func describe(_ error: any Error, address: String? = nil, peer: String = "broker") -> String {
        switch error {
        case let error as NIOSSLError:
            return describe(error)
        case let error as NIOSSLExtraError:
            let text = "\(error)"
            if text.contains("hostname") || text.contains("Hostname") { return "TLS handshake failed: the server's certificate is not for the host name asked for: connect by a name the certificate lists" }
            return "TLS: " + text
        case let error as IOError:
            // `read(descriptor:pointer:size:): Connection reset by peer (errno: 104)` names a
            // system call; the reason is what a reader wants.
            return String(cString: strerror(error.errnoCode)).lowercased()
        case let error as NIOConnectionError:
            let address = "\(error.host):\(error.port)"
            if let failure = error.connectionErrors.first?.error { return describeConnect(failure, address: address, peer: peer) }
            if let failure = error.dnsAError ?? error.dnsAAAAError { return describeConnect(failure, address: address, peer: peer) }
            return "cannot connect to \(address): the host name gave no address: check the host name"
        case let error as SocketAddressError.UnknownHost:
            return describeConnect(error, address: "\(error.host):\(error.port)", peer: peer)
        case ChannelError.connectTimeout(let timeout) where address != nil:
            return describeConnect(ChannelError.connectTimeout(timeout), address: address ?? "", peer: peer)
        case let error as ChannelError:
            return describe(error)
        default:
            return "\(error)"
        }
    }

    /// Why a connection to `address` could not be made, and what to check:
    /// `connection to 127.0.0.1:1883 refused: is the broker running?`.
    public static func describeConnect(_ error: any Error, address: String, peer: String = "broker") -> String {
        switch error {
        case let error as IOError:
            switch error.errnoCode {
            case ECONNREFUSED:
                return "connection to \(address) refused: is the \(peer) running?"
            case ETIMEDOUT:
                return "connection to \(address) timed out: is the host up, and does a firewall let the port through?"
            case EHOSTUNREACH, ENETUNREACH, EHOSTDOWN:
                let reason = String(cString: strerror(error.errnoCode)).lowercased()
                return "cannot reach \(address) (\(reason)): is the address right, and the network up?"
            case ECONNRESET:
                return "connection to \(address) was reset at once: is the \(peer) on this port?"
            default:
                return "cannot connect to \(address): \(String(cString: strerror(error.errnoCode)).lowercased())"
            }
        case ChannelError.connectTimeout(let timeout):
            return "connection to \(address) timed out after \(seconds(timeout)): is the host up, and does a firewall let the port through?"
        case let error as SocketAddressError.UnknownHost:
            return "cannot resolve the host name \(error.host) (\(error.errorDescription.lowercased())): check the name, and that this machine's DNS works"
        case SocketAddressError.unsupported, SocketAddressError.failedToParseIPString:
            return "cannot connect to \(address): the address is not one this machine can connect to"
        case let error as NIOConnectionError:
            return describe(error, peer: peer)
        default:
            return "cannot connect to \(address): \(describe(error, peer: peer))"
        }
    }

    /// `10 s`, `1.5 s`, `250 ms`.
    private static func seconds(_ timeout: TimeAmount) -> String {
        let milliseconds = timeout.nanoseconds / 1_000_000
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
        if milliseconds >= 1000 { return "\(Double(milliseconds) / 1000) s" }
        return "\(milliseconds) ms"
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
            ("EOF during handshake", "the server closed the connection during the handshake: does this port speak TLS, and does the server want a client certificate?"),
            ("CERTIFICATE_VERIFY_FAILED", "the server's certificate is not trusted (CERTIFICATE_VERIFY_FAILED): check that the CA file holds its root, and its dates"),
            ("certificate has expired", "the server's certificate has expired: check its dates and this machine's clock"),
            ("CERTIFICATE_EXPIRED", "the server's certificate has expired: check its dates and this machine's clock"),
            ("WRONG_VERSION_NUMBER", "the server does not speak TLS (WRONG_VERSION_NUMBER): is this its TLS port (8883), not plain MQTT (1883)?"),
            ("TLSV1_ALERT_PROTOCOL_VERSION", "no TLS version both sides accept: check the TLS versions each side allows"),
            ("NO_SHARED_CIPHER", "no cipher both sides accept: check the cipher suites each side allows"),
            ("ALERT_HANDSHAKE_FAILURE", "the server refused the handshake: check the TLS versions and cipher suites each side allows"),
            ("ALERT_CERTIFICATE_REQUIRED", "the server asks for a client certificate: give the client one"),
            ("ALERT_UNKNOWN_CA", "the server does not trust the client certificate's CA: register that CA with the server"),
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
