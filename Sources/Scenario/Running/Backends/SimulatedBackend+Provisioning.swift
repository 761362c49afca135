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
                    var individual = IndividualEnrollment(registrationID: id, primaryKey: primary, secondaryKey: secondary)
                    individual.isEnabled = enrollment.isEnabled
                    configuration.individualEnrollments.append(individual)
                case .certificate(let file), .certificateAuthority(let file):
                    let certificate = try CertificateFiles.certificate(at: file)
                    var individual = X509IndividualEnrollment(registrationID: id, primary: CertificateFiles.thumbprints(of: certificate).sha256)
                    individual.isEnabled = enrollment.isEnabled
                    configuration.x509IndividualEnrollments.append(individual)
                }
            }
            for group in spec.groups {
                switch group.attestation {
                case .symmetricKey(let primary, let secondary):
                    var enrollment = GroupEnrollment(name: group.name, primaryKey: primary, secondaryKey: secondary)
                    enrollment.isEnabled = group.isEnabled
                    configuration.groupEnrollments.append(enrollment)
                case .certificate(let file), .certificateAuthority(let file):
                    let authority = try CertificateFiles.authorityCertificate(at: file)
                    var enrollment = X509GroupEnrollment(name: group.name, authority: RegisteredCertificateAuthority(name: group.name, certificate: authority))
                    enrollment.isEnabled = group.isEnabled
                    configuration.x509GroupEnrollments.append(enrollment)
                }
            }
        } catch {
            throw SessionError(description: "dps: \(error)")
        }
        return configuration
    }
}
