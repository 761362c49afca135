import IoTHubCore
/// How a registered device proves who it is, as IoT Hub's registry records it
/// (`authentication.type`: `sas`, `selfSigned`, `certificateAuthority`).
public enum DeviceAuthentication: Sendable, Hashable, CustomStringConvertible {
    /// A SAS token signed with one of the device's symmetric keys (the default).
    case sharedAccessKey
    /// A self-signed (or any) X.509 certificate whose thumbprint is registered: the primary or
    /// the secondary one, each SHA-1 or SHA-256.
    case selfSigned(primary: CertificateThumbprint, secondary: CertificateThumbprint?)
    /// An X.509 certificate that chains to a certificate authority registered and verified on
    /// the hub, with the device id as its subject's common name.
    case certificateAuthority

    /// Whether the device authenticates with a client certificate.
    public var usesCertificate: Bool {
        if case .sharedAccessKey = self { false } else { true }
    }

    public var description: String {
        switch self {
        case .sharedAccessKey: "SAS"
        case .selfSigned: "X.509 self-signed (thumbprint)"
        case .certificateAuthority: "X.509 CA-signed"
        }
    }
}
