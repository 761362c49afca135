import IoTHubCore

/// An X.509 individual enrollment: one device certificate, known by its thumbprint (primary
/// and optional secondary, SHA-1 or SHA-256), whose common name is the registration id.
public struct X509IndividualEnrollment: Sendable, Hashable {
    public var registrationID: RegistrationID
    public var primary: CertificateThumbprint
    public var secondary: CertificateThumbprint?
    /// A disabled enrollment's registrations end `disabled`. Default: enabled.
    public var isEnabled = true

    public init(registrationID: RegistrationID, primary: CertificateThumbprint, secondary: CertificateThumbprint? = nil) {
        self.registrationID = registrationID
        self.primary = primary
        self.secondary = secondary
    }
}

/// An X.509 enrollment group: any device whose certificate chains to `authority` (through the
/// intermediates it presents) and whose common name is its registration id.
public struct X509GroupEnrollment: Sendable, Hashable {
    public var name: String
    public var authority: RegisteredCertificateAuthority
    /// A disabled group's registrations end `disabled`. Default: enabled.
    public var isEnabled = true

    public init(name: String, authority: RegisteredCertificateAuthority) {
        self.name = name
        self.authority = authority
    }
}
