import IoTHubCore

/// What a device attests with when it registers: a symmetric key (its enrollment's, derived
/// from its group's, or one the step gives), or its X.509 certificate.
public enum ProvisioningCredential: Sendable, Hashable {
    /// A registration token signed with `key`. Secret.
    case symmetricKey(DeviceKey)
    /// The device's `cert_file`/`key_file` in the TLS handshake, and no password.
    case certificate

    /// The credential `device` registers with in `step` against `service`, or why it has none
    /// (said as the loader says it). The step's `key` wins, then the device's own `key`, then
    /// what its enrollment gives: the enrollment's primary key, or the group's key derived for
    /// the registration id (the device id), as the SDKs derive it.
    public static func resolve(_ step: ProvisionSpec, device: DeviceSpec, service: ProvisioningSpec) -> Result<ProvisioningCredential, ProvisioningCredentialError> {
        let id = device.id.string
        func fail(_ text: String) -> Result<ProvisioningCredential, ProvisioningCredentialError> { .failure(ProvisioningCredentialError(description: text)) }
        if device.certificateFile != nil {
            if step.key != nil || step.group != nil {
                return fail("device '\(id)' has a cert_file, so it attests with X.509; 'key' and 'group' are for symmetric keys")
            }
            return .success(.certificate)
        }
        if let group = step.group {
            guard let found = service.group(named: group) else {
                let names = service.groups.map(\.name)
                return fail("group '\(group)' is not one of the dps groups\(Suggestions.hint(for: group, in: names)) (\(names.isEmpty ? "there are none" : names.joined(separator: ", ")))")
            }
            guard case .symmetricKey(let primary, _) = found.attestation else {
                return fail("group '\(group)' attests with x509; device '\(id)' needs a cert_file and key_file to join it, and no 'group'")
            }
            return .success(.symmetricKey(step.key ?? device.key ?? DeviceKey.derived(fromGroupKey: primary, registrationID: id)))
        }
        if let key = step.key ?? device.key { return .success(.symmetricKey(key)) }
        if let enrollment = service.enrollment(for: id) {
            guard case .symmetricKey(let primary, _) = enrollment.attestation else {
                return fail("the enrollment of '\(id)' attests with x509; give the device a cert_file and key_file")
            }
            return .success(.symmetricKey(primary))
        }
        let groupKeys = service.groups.compactMap { group -> DeviceKey? in
            if case .symmetricKey(let primary, _) = group.attestation { return primary }
            return nil
        }
        switch groupKeys.count {
        case 1:
            return .success(.symmetricKey(DeviceKey.derived(fromGroupKey: groupKeys[0], registrationID: id)))
        case 0:
            return fail("device '\(id)' has nothing to attest with: dps has no enrollment for registration id '\(id)' and no symmetric_key group; enroll it, or give the device a key or a cert_file")
        default:
            return fail("device '\(id)' could join any of \(groupKeys.count) symmetric_key groups; name one with provision: { group: NAME }")
        }
    }
}

/// Why a device has no credential to register with.
public struct ProvisioningCredentialError: Error, Sendable, Hashable, CustomStringConvertible {
    public var description: String
}
