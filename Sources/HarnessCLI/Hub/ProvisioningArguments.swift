import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore

/// `harness hub`'s Device Provisioning Service flags: `--dps-scope`, `--dps-enrollment
/// {registrationId}:{base64key}`, `--dps-group {name}:{base64key}`, `--dps-x509-enrollment
/// {registrationId}:{thumbprint}[,{secondary}]` and `--dps-x509-group {name}:{CA PEM}`,
/// checked against each other and against the hub's own devices.
struct ProvisioningArguments {
    var scope: String?
    var enrollments: [String]
    var groups: [String]
    var x509Enrollments: [String] = []
    var x509Groups: [String] = []

    /// The DPS configuration the flags ask for, or `nil` when there is no `--dps-scope`.
    /// `devices` and `certificateDevices` are the hub's other devices: an enrollment for one
    /// of them must give the key it has (a device with other credentials is refused, as DPS
    /// could not provision it).
    /// - Throws: ``InvalidInput`` naming the flag and what is wrong.
    func configuration(devices: [DeviceArgument], certificateDevices: [DeviceID]) throws(InvalidInput) -> ProvisioningConfiguration? {
        guard let scope else {
            let given = [("--dps-enrollment", enrollments), ("--dps-group", groups), ("--dps-x509-enrollment", x509Enrollments), ("--dps-x509-group", x509Groups)]
            if let flag = given.first(where: { !$0.1.isEmpty })?.0 {
                throw InvalidInput(description: "error: \(flag) needs --dps-scope (the ID scope devices provision with)")
            }
            return nil
        }
        guard ProvisioningConfiguration.isValidIDScope(scope) else {
            throw InvalidInput(description: "error: --dps-scope '\(scope)' is not an ID scope: 1 to 64 letters and digits, such as 0ne00000001")
        }
        var configuration = ProvisioningConfiguration(idScope: scope)
        var seen = Set<RegistrationID>()
        for text in enrollments {
            let (name, key) = try Self.split(text, flag: "--dps-enrollment", what: "registrationId")
            let registrationID: RegistrationID
            do {
                registrationID = try RegistrationID(name)
            } catch {
                throw InvalidInput(description: "error: --dps-enrollment: \(error)")
            }
            guard seen.insert(registrationID).inserted else {
                throw InvalidInput(description: "error: --dps-enrollment '\(registrationID)' is given twice")
            }
            guard let deviceID = registrationID.deviceID else {
                throw InvalidInput(description: "error: --dps-enrollment '\(registrationID)' cannot be a device id")
            }
            if certificateDevices.contains(deviceID) {
                throw InvalidInput(
                    description: "error: --dps-enrollment '\(registrationID)': the hub already has device '\(deviceID)' with other credentials (an X.509 certificate); DPS could not provision it"
                )
            }
            if let device = devices.first(where: { $0.id == deviceID }), device.key != key {
                throw InvalidInput(
                    description: "error: --dps-enrollment '\(registrationID)': the hub already has device '\(deviceID)' (--device) with another key; give both the same key, or leave the --device out"
                )
            }
            configuration.individualEnrollments.append(IndividualEnrollment(registrationID: registrationID, primaryKey: key))
        }
        var names = Set<String>()
        for text in groups {
            let (name, key) = try Self.split(text, flag: "--dps-group", what: "name")
            guard !name.isEmpty, name.utf8.count <= 128, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }) else {
                throw InvalidInput(description: "error: --dps-group '\(name)': the name must be 1 to 128 letters, digits and - . _")
            }
            guard names.insert(name).inserted else { throw InvalidInput(description: "error: --dps-group '\(name)' is given twice") }
            configuration.groupEnrollments.append(GroupEnrollment(name: name, primaryKey: key))
        }
        for text in x509Enrollments {
            guard let colon = text.firstIndex(of: ":") else {
                throw InvalidInput(description: "error: --dps-x509-enrollment '\(text.prefix(40))' is not registrationId:THUMBPRINT[,SECONDARY] (harness cert thumbprint prints a certificate's)")
            }
            let registrationID: RegistrationID
            do {
                registrationID = try RegistrationID(String(text[..<colon]))
            } catch {
                throw InvalidInput(description: "error: --dps-x509-enrollment: \(error)")
            }
            guard seen.insert(registrationID).inserted else {
                throw InvalidInput(description: "error: --dps-x509-enrollment '\(registrationID)': the registration id is enrolled twice")
            }
            guard let deviceID = registrationID.deviceID else {
                throw InvalidInput(description: "error: --dps-x509-enrollment '\(registrationID)' cannot be a device id")
            }
            if devices.contains(where: { $0.id == deviceID }) || certificateDevices.contains(deviceID) {
                throw InvalidInput(
                    description: "error: --dps-x509-enrollment '\(registrationID)': the hub already has device '\(deviceID)' with its own credentials; give the device either to the hub or to DPS"
                )
            }
            let prints = text[text.index(after: colon)...].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard prints.count <= 2 else {
                throw InvalidInput(description: "error: --dps-x509-enrollment '\(registrationID)': at most two thumbprints, primary and secondary")
            }
            var thumbprints: [CertificateThumbprint] = []
            for print in prints {
                do {
                    thumbprints.append(try CertificateThumbprint(parsing: print))
                } catch {
                    throw InvalidInput(description: "error: --dps-x509-enrollment '\(registrationID)': \(error)")
                }
            }
            configuration.x509IndividualEnrollments.append(
                X509IndividualEnrollment(registrationID: registrationID, primary: thumbprints[0], secondary: thumbprints.count > 1 ? thumbprints[1] : nil)
            )
        }
        for text in x509Groups {
            guard let colon = text.firstIndex(of: ":"), colon != text.startIndex else {
                throw InvalidInput(description: "error: --dps-x509-group '\(text.prefix(40))' is not name:CA-certificate.pem")
            }
            let name = String(text[..<colon]), path = String(text[text.index(after: colon)...])
            guard names.insert(name).inserted else { throw InvalidInput(description: "error: --dps-x509-group '\(name)' is given twice") }
            do {
                configuration.x509GroupEnrollments.append(X509GroupEnrollment(name: name, authority: try CertificateFiles.certificateAuthority(at: path)))
            } catch {
                throw InvalidInput(description: "error: --dps-x509-group '\(name)': \(error)")
            }
        }
        if configuration.individualEnrollments.isEmpty, configuration.groupEnrollments.isEmpty,
            configuration.x509IndividualEnrollments.isEmpty, configuration.x509GroupEnrollments.isEmpty
        {
            throw InvalidInput(description: "error: --dps-scope needs at least one --dps-enrollment, --dps-group, --dps-x509-enrollment or --dps-x509-group: with no enrollment no device can provision")
        }
        return configuration
    }

    /// Splits `name:base64key`.
    private static func split(_ text: String, flag: String, what: String) throws(InvalidInput) -> (String, DeviceKey) {
        // Base64 has no ':', so the last one separates (a registration id may hold ':').
        guard let colon = text.lastIndex(of: ":"), colon != text.startIndex else {
            throw InvalidInput(description: "error: \(flag) '\(text.prefix(40))' is not \(what):base64key")
        }
        let name = String(text[..<colon])
        do {
            return (name, try DeviceKey(base64: String(text[text.index(after: colon)...])))
        } catch {
            throw InvalidInput(description: "error: \(flag) '\(name.prefix(40))': \(error)")
        }
    }
}
