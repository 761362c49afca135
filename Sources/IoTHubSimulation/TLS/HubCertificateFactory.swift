import Foundation
import IoTHubSimulationCore

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
        let authority = try HubCertificateAuthority.make(now: now, validity: validity)
        let server = try authority.issueServerCertificate(hostNames: hostNames, ipAddresses: ipAddresses, now: now, validity: validity)
        return GeneratedCertificates(
            caCertificatePEM: try authority.certificatePEM,
            serverCertificatePEM: server.certificatePEM,
            serverPrivateKeyPEM: server.privateKeyPEM
        )
    }

    /// Whether `text` is a dotted IPv4 or an IPv6 address (as a certificate's IP name).
    public static func isIPAddress(_ text: String) -> Bool {
        (try? ipAddressBytes(text)) != nil
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
