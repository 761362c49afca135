import Foundation
import IoTHubSimulationCore
import NIOSSL
import Synchronization

/// A server certificate the hub presents instead of its own, to new TLS connections only (a
/// certificate matters at the handshake; connections already open keep theirs).
public enum HubCertificateFault: String, Sendable, Hashable, CaseIterable {
    /// Signed by the hub's CA for its names, but its validity ended yesterday.
    case expired
    /// Signed by the hub's CA and valid, but for another host name (``wrongHostName``) and no
    /// IP address.
    case wrongName
    /// For the hub's names and valid, but signed by a CA the hub made just now, which no
    /// device trusts.
    case untrusted
    /// For the hub's names and valid, signed by the next root CA
    /// (``HubTLSConfiguration/preparesNextRoot``): the hub has moved to a new root, as the
    /// real IoT Hub moved from Baltimore CyberTrust Root to DigiCert Global Root G2 in 2023.
    case rotatedRoot

    /// The host name a ``wrongName`` certificate is for.
    public static let wrongHostName = "another-hub.azure-devices.net"
}

/// Issues the certificates of ``HubCertificateFault``s: the hub's CA and names, kept from its
/// start. Only a hub that made its own certificate has one.
struct HubFaultCertificateIssuer: Sendable {
    let signer: HubSigningChain
    let nextRoot: HubCertificateAuthority?
    let hostNames: [String]
    let ipAddresses: [String]
    let profile: HubTLSProfile

    /// The server contexts presenting the certificate of `fault`.
    /// - Parameter now: real wall-clock time (what clients check validity against).
    func contexts(for fault: HubCertificateFault, now: Date) throws(HubTLSError) -> HubServerContexts {
        let validity = HubTLSContext.serverValidity
        let issued: (certificatePEM: String, privateKeyPEM: String)
        switch fault {
        case .expired:
            issued = try signer.issueServerCertificate(
                hostNames: hostNames,
                ipAddresses: ipAddresses,
                notValidBefore: now.addingTimeInterval(-2 * 24 * 3600),
                notValidAfter: now.addingTimeInterval(-24 * 3600)
            )
        case .wrongName:
            issued = try signer.issueServerCertificate(hostNames: [HubCertificateFault.wrongHostName], ipAddresses: [], now: now, validity: validity)
        case .untrusted:
            let stranger = try HubCertificateAuthority.make(now: now, validity: validity, commonName: "harness untrusted CA")
            issued = try HubSigningChain(root: stranger, now: now, validity: validity).issueServerCertificate(hostNames: hostNames, ipAddresses: ipAddresses, now: now, validity: validity)
        case .rotatedRoot:
            guard let nextRoot else {
                throw .setupFailed(reason: "the hub has no next root CA to rotate to (it was started without preparing one)")
            }
            issued = try HubSigningChain(root: nextRoot, now: now, validity: validity).issueServerCertificate(hostNames: hostNames, ipAddresses: ipAddresses, now: now, validity: validity)
        }
        let (chain, key) = try HubTLSContext.loadIssued(issued)
        return try HubTLSContext.makeContexts(chain: chain, key: key, profile: profile)
    }
}

/// The TLS context the hub's listener gives each new connection: its own, or a certificate
/// fault's while one is on. The listener reads it for every connection it accepts, so a swap
/// reaches the next handshake and no open connection.
final class HubServerIdentity: Sendable {
    private let normal: HubServerContexts
    private let issuer: HubFaultCertificateIssuer?
    private let current: Mutex<(contexts: HubServerContexts, fault: HubCertificateFault?)>
    /// The profile the contexts apply, named in refusals.
    let profile: HubTLSProfile

    init(_ tls: HubTLSContext) {
        self.normal = tls.contexts
        self.issuer = tls.issuer
        self.profile = tls.profile
        self.current = Mutex((tls.contexts, nil))
    }

    /// The context for a connection accepted now whose client sent `serverName` (nil: no SNI).
    func context(serverName: String?) -> NIOSSLContext { current.withLock { $0.contexts.context(serverName: serverName) } }

    /// The certificate fault on now, if any.
    var fault: HubCertificateFault? { current.withLock { $0.fault } }

    /// Presents the certificate of `fault` to new connections from now on, in place of any
    /// other fault's.
    /// - Throws: ``HubTLSError/setupFailed(reason:)`` when the hub serves the user's PEM
    ///   files (it holds no CA key to issue with) or a certificate cannot be made.
    func start(_ fault: HubCertificateFault, now: Date) throws(HubTLSError) {
        guard let issuer else {
            throw .setupFailed(reason: "certificate faults need the hub's own generated certificate; it serves the given PEM files, whose CA key it does not hold")
        }
        let contexts = try issuer.contexts(for: fault, now: now)
        current.withLock { $0 = (contexts, fault) }
    }

    /// Goes back to the hub's own certificate if `fault` is the one presented.
    /// - Returns: whether it was.
    func end(_ fault: HubCertificateFault) -> Bool {
        current.withLock { current in
            guard current.fault == fault else { return false }
            current = (normal, nil)
            return true
        }
    }
}
