import IoTHubCore
import IoTHubSimulationCore

extension SimulatedBackend {
    /// The hub's Device Provisioning Service as the scenario's `dps:` describes it: symmetric
    /// keys as they are, an X.509 enrollment by its certificate's SHA-256 thumbprint, an X.509
    /// group by its CA.
    /// - Throws: ``SessionError`` when a certificate file cannot be read (the loader read it,
    ///   so it changed since).
    static func provisioningConfiguration(_ spec: ProvisioningSpec) throws -> ProvisioningConfiguration {
        var configuration = ProvisioningConfiguration(idScope: spec.idScope, assignmentDelay: spec.assignmentDelay, retryAfterSeconds: spec.retryAfterSeconds)
        do {
            for enrollment in spec.enrollments {
                let id = try RegistrationID(enrollment.registrationID)
                switch enrollment.attestation {
                case .symmetricKey(let primary, let secondary):
                    configuration.individualEnrollments.append(IndividualEnrollment(registrationID: id, primaryKey: primary, secondaryKey: secondary))
                case .certificate(let file), .certificateAuthority(let file):
                    let certificate = try CertificateFiles.certificate(at: file)
                    configuration.x509IndividualEnrollments.append(X509IndividualEnrollment(registrationID: id, primary: CertificateFiles.thumbprints(of: certificate).sha256))
                }
            }
            for group in spec.groups {
                switch group.attestation {
                case .symmetricKey(let primary, let secondary):
                    configuration.groupEnrollments.append(GroupEnrollment(name: group.name, primaryKey: primary, secondaryKey: secondary))
                case .certificate(let file), .certificateAuthority(let file):
                    let authority = try CertificateFiles.authorityCertificate(at: file)
                    configuration.x509GroupEnrollments.append(X509GroupEnrollment(name: group.name, authority: RegisteredCertificateAuthority(name: group.name, certificate: authority)))
                }
            }
        } catch {
            throw SessionError(description: "dps: \(error)")
        }
        return configuration
    }
}
