import IoTHubSimulationCore
import NIOSSL

/// How the simulated hub serves TLS: with a certificate it makes itself at start (the default,
/// for `localhost` and `127.0.0.1`), or with the user's PEM files, under a ``HubTLSProfile``.
///
/// The real hub accepts TLS 1.2 and 1.3 only, with strong ECDHE suites (1.0, 1.1 and weak
/// suites ended on 31 Aug 2025), so that is the default profile. The hub asks every client for
/// a certificate without requiring one, as the real hub does, and judges it at CONNECT.
public struct HubTLSConfiguration: Sendable, Hashable {
    /// Where the server certificate comes from.
    public enum Identity: Sendable, Hashable {
        /// The hub makes a chain shaped like the real hub's when it starts: a root CA (P-256;
        /// kept in `directory` across starts), an intermediate CA signed by it, and an
        /// RSA-2048 server certificate signed by the intermediate (RSA, as the real hub's, so
        /// the ECDHE_RSA suites work). The server presents itself and the intermediate; clients
        /// trust the root. The certificate names `hostNames` (DNS) and `ipAddresses` as subject
        /// alternative names. The root is written as PEM into `directory` (a new temporary
        /// folder when `nil`) as `ca.pem`, the intermediate as `intermediate.pem`.
        case generated(hostNames: [String] = ["localhost"], ipAddresses: [String] = ["127.0.0.1"], directory: String? = nil)
        /// PEM files: the server certificate (chain), its private key, and optionally the CA
        /// that clients should trust (reported as ``HubEndpoints/caCertificatePath``).
        case pemFiles(certificate: String, privateKey: String, certificateAuthority: String? = nil)
    }

    /// The server certificate. Default: `.generated()`.
    public var identity: Identity
    /// What the hub's TLS accepts (versions, cipher suites, SNI). Default: ``HubTLSProfile/strict``.
    public var profile: HubTLSProfile
    /// With a generated identity: also make the root CA a `ca_rotation` fault moves the hub
    /// to, and write it beside `ca.pem` as `ca-next.pem`, with `ca-bundle.pem` holding both
    /// roots (``HubEndpoints/nextRootCertificatePath``, ``HubEndpoints/rootBundlePath``), so
    /// devices can be given the new root before the rotation. Default: false.
    public var preparesNextRoot: Bool

    public init(
        identity: Identity = .generated(),
        profile: HubTLSProfile = .strict,
        preparesNextRoot: Bool = false
    ) {
        self.identity = identity
        self.profile = profile
        self.preparesNextRoot = preparesNextRoot
    }
}

/// Why the hub could not set up TLS. Messages name the file and the problem; key material
/// never appears in them.
public enum HubTLSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A PEM file could not be read.
    case unreadableFile(path: String, reason: String)
    /// A PEM file holds no usable certificate or key.
    case invalidPEM(path: String, reason: String)
    /// Making the certificates or the TLS context failed.
    case setupFailed(reason: String)
    /// An IP address for the generated certificate is not a dotted IPv4 or IPv6 address.
    case invalidIPAddress(String)
    /// No TLS profile has this name.
    case unknownProfile(String)

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason): "\(path): cannot read: \(reason)"
        case .invalidPEM(let path, let reason): "\(path): not a usable PEM file: \(reason)"
        case .setupFailed(let reason): "TLS setup failed: \(reason)"
        case .invalidIPAddress(let text): "'\(text)' is not an IP address"
        case .unknownProfile(let name):
            "'\(name)' is not a TLS profile; the profiles are \(HubTLSProfile.allCases.map(\.rawValue).joined(separator: " and "))"
        }
    }
}
