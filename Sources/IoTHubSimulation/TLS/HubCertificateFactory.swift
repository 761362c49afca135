import Foundation
import IoTHubSimulationCore

/// A root CA, an intermediate CA it signed, and a server certificate the intermediate signed,
/// as PEM text: the shape of the real hub's chain.
public struct GeneratedCertificates: Sendable {
    /// The root CA certificate clients trust.
    public var caCertificatePEM: String
    /// The intermediate CA certificate (also the second certificate of
    /// ``serverCertificatePEM``).
    public var intermediateCertificatePEM: String
    /// The server certificate followed by the intermediate: the chain a server presents.
    public var serverCertificatePEM: String
    /// The server's private key (PKCS #8). Secret.
    public var serverPrivateKeyPEM: String
}

/// Makes the hub's own CA and server certificate at start, so TLS works without user files
/// (also used to give another broker, such as Mosquitto in `harness bench hub`, the same
/// certificate).
public enum HubCertificateFactory {
    /// Makes a root CA valid from one hour before `now` for `validity`, an intermediate CA
    /// signed by it, and a server certificate for `hostNames` and `ipAddresses` signed by the
    /// intermediate. `now` is real (wall-clock) time, which
    /// is what clients verify against, not the hub's jumpable clock.
    /// - Throws: ``HubTLSError`` for a bad IP address or a failure to sign.
    public static func make(
        hostNames: [String],
        ipAddresses: [String],
        now: Date,
        validity: TimeInterval = 30 * 24 * 3600
    ) throws(HubTLSError) -> GeneratedCertificates {
        let authority = try HubCertificateAuthority.make(now: now, validity: validity)
        let signer = try HubSigningChain(root: authority, now: now, validity: validity)
        let server = try signer.issueServerCertificate(hostNames: hostNames, ipAddresses: ipAddresses, now: now, validity: validity)
        return GeneratedCertificates(
            caCertificatePEM: try authority.certificatePEM,
            intermediateCertificatePEM: try signer.intermediate?.certificatePEM ?? "",
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

/// What signs the hub's server certificates: an intermediate CA under the root, as on the real
/// hub (root, intermediate, server), or the root itself when it is a kept root made before the
/// hub's chain had an intermediate (``HubCertificateAuthority/allowsIntermediates``).
struct HubSigningChain: Sendable {
    let root: HubCertificateAuthority
    let intermediate: HubCertificateAuthority?

    /// Makes a fresh intermediate under `root` when the root allows one.
    init(root: HubCertificateAuthority, now: Date, validity: TimeInterval) throws(HubTLSError) {
        self.root = root
        self.intermediate = root.allowsIntermediates ? try root.issueIntermediate(now: now, validity: validity) : nil
    }

    /// Issues a server certificate from the intermediate (or the root); the PEM holds the
    /// server certificate followed by the intermediate, the chain the server presents.
    func issueServerCertificate(hostNames: [String], ipAddresses: [String], now: Date, validity: TimeInterval) throws(HubTLSError) -> (certificatePEM: String, privateKeyPEM: String) {
        let issued = try (intermediate ?? root).issueServerCertificate(hostNames: hostNames, ipAddresses: ipAddresses, now: now, validity: validity)
        return (try withChain(issued.certificatePEM), issued.privateKeyPEM)
    }

    /// Issues a server certificate valid exactly from `notValidBefore` to `notValidAfter`.
    func issueServerCertificate(hostNames: [String], ipAddresses: [String], notValidBefore: Date, notValidAfter: Date) throws(HubTLSError) -> (certificatePEM: String, privateKeyPEM: String) {
        let issued = try (intermediate ?? root).issueServerCertificate(hostNames: hostNames, ipAddresses: ipAddresses, notValidBefore: notValidBefore, notValidAfter: notValidAfter)
        return (try withChain(issued.certificatePEM), issued.privateKeyPEM)
    }

    private func withChain(_ leaf: String) throws(HubTLSError) -> String {
        guard let intermediate else { return leaf }
        let tail = try intermediate.certificatePEM
        return leaf + (leaf.hasSuffix("\n") ? "" : "\n") + tail
    }
}
