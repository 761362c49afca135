import Foundation
import IoTHubCore
import X509

/// Checks the client certificate of a device registered for X.509 authentication, as IoT Hub
/// does at CONNECT: a self-signed device by the thumbprint of its certificate (primary or
/// secondary, SHA-1 or SHA-256); a CA-signed device by a chain of valid signatures from its
/// certificate, through the intermediates it sent, to a registered and verified CA, with the
/// device id as the certificate's common name. Every certificate on the way must be valid at
/// `now` (the hub's clock, so `advance_clock` can outrun a certificate).
enum CertificateAuthentication {
    /// The longest chain (device certificate, intermediates, CA) followed.
    static let maximumChainLength = 6

    /// `nil` when `chain` authenticates `device`; otherwise why not (never key material).
    static func refusal(
        for device: DeviceRecord,
        presenting chain: ClientCertificateChain?,
        authorities: [String: RegisteredCertificateAuthority],
        now: HubTime
    ) -> String? {
        guard let chain else {
            return "device '\(device.id)' authenticates with an X.509 certificate (\(device.authentication)), and none was presented in the TLS handshake"
        }
        let date = Date(timeIntervalSince1970: TimeInterval(now.unixSeconds))
        switch device.authentication {
        case .sharedAccessKey:
            return nil
        case .selfSigned(let primary, let secondary):
            let registered = [primary] + (secondary.map { [$0] } ?? [])
            guard registered.contains(where: { chain.thumbprint($0.algorithm) == $0 }) else {
                return "the certificate's thumbprint (SHA-1 \(chain.thumbprint(.sha1)), SHA-256 \(chain.thumbprint(.sha256))) is neither the primary nor the secondary thumbprint registered for device '\(device.id)'"
            }
            return validity(of: chain.leaf, named: "the device certificate", at: date)
        case .certificateAuthority:
            guard let name = chain.commonName else {
                return "the certificate's subject has no common name; a CA-signed device's common name must be its device id '\(device.id)'"
            }
            guard name == device.id.string else {
                return "the certificate's common name '\(name)' is not the device id '\(device.id)'"
            }
            return chainRefusal(chain, authorities: authorities, at: date)
        }
    }

    private static func validity(of certificate: Certificate, named name: String, at date: Date) -> String? {
        if date < certificate.notValidBefore { return "\(name) is not valid before \(certificate.notValidBefore)" }
        if date > certificate.notValidAfter { return "\(name) expired at \(certificate.notValidAfter)" }
        return nil
    }

    /// Follows issuers from the leaf: the next certificate is a presented intermediate or a
    /// registered CA whose subject is the current certificate's issuer and whose key signed it.
    private static func chainRefusal(
        _ chain: ClientCertificateChain,
        authorities: [String: RegisteredCertificateAuthority],
        at date: Date
    ) -> String? {
        if let refusal = validity(of: chain.leaf, named: "the device certificate", at: date) { return refusal }
        var current = chain.leaf
        var unverified: RegisteredCertificateAuthority?
        for _ in 0..<maximumChainLength {
            let registered = authorities.values.sorted { $0.name < $1.name }.filter {
                $0.certificate.subject == current.issuer && $0.certificate.publicKey.isValidSignature(current.signature, for: current)
            }
            if let authority = registered.first(where: \.isVerified) {
                return validity(of: authority.certificate, named: "the registered CA '\(authority.name)'", at: date)
            }
            if unverified == nil { unverified = registered.first }
            guard let issuer = chain.intermediates.first(where: {
                $0.subject == current.issuer && $0 != current && $0.publicKey.isValidSignature(current.signature, for: current)
            }) else { break }
            guard let basic = try? issuer.extensions.basicConstraints, case .isCertificateAuthority = basic else {
                return "the presented certificate '\(issuer.subject)' signed the chain but is not a CA certificate"
            }
            if let refusal = validity(of: issuer, named: "the intermediate certificate '\(issuer.subject)'", at: date) { return refusal }
            current = issuer
        }
        if let unverified {
            return "the certificate chains to CA '\(unverified.name)', which is registered but not verified (no proof of possession)"
        }
        return "the certificate does not chain to a CA registered on the hub (issuer '\(current.issuer)')"
    }
}
