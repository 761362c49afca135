import Foundation
import IoTHubCore
import Yams

/// Reads a simulated hub's `dps:` mapping: the ID scope, individual enrollments and
/// enrollment groups, each checked where it is written (a key that is not base64, an
/// attestation without its credential, a certificate that is not PEM, a name given twice).
extension HubParser {
    /// An enrollment's or group's `enabled` (default true); `nil` when it is not a boolean.
    private static func readEnabled(_ options: YAMLReader.Entries, reader: inout YAMLReader) -> Bool? {
        guard let node = options["enabled"] else { return true }
        return reader.bool(node, "enabled")
    }

    static func readProvisioning(_ node: Node, reader: inout YAMLReader, folder: URL) -> ProvisioningSpec? {
        guard let entries = reader.mapping(node, "dps", keys: Vocabulary.dps) else { return nil }
        guard let scopeNode = entries["id_scope"] else {
            reader.missing("id_scope", in: entries, "dps")
            return nil
        }
        guard let scope = reader.string(scopeNode, "dps id_scope") else { return nil }
        guard scope.utf8.count <= 64, !scope.isEmpty, scope.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            reader.error("dps id_scope '\(scope)' is not an ID scope: 1 to 64 letters and digits, such as 0ne00000001", at: scopeNode)
            return nil
        }
        var spec = ProvisioningSpec(idScope: scope)
        var valid = true
        if let node = entries["retry_after"] {
            if let seconds = reader.integer(node, "dps retry_after", in: 0...60) { spec.retryAfterSeconds = seconds } else { valid = false }
        }
        if let node = entries["assignment_delay"] {
            if let delay = reader.duration(node, "dps assignment_delay") { spec.assignmentDelay = delay } else { valid = false }
        }
        var registrationIDs = Set<String>()
        for item in list(entries["enrollments"], "dps enrollments", reader: &reader) {
            guard let options = reader.mapping(item, "enrollment", keys: Vocabulary.enrollment) else {
                valid = false
                continue
            }
            guard let idNode = options["registration_id"], let id = reader.string(idNode, "registration_id") else {
                if options["registration_id"] == nil { reader.missing("registration_id", in: options, "enrollment") }
                valid = false
                continue
            }
            do {
                _ = try RegistrationID(id)
            } catch {
                reader.error("\(error)", at: idNode)
                valid = false
                continue
            }
            guard registrationIDs.insert(id).inserted else {
                reader.error("registration_id '\(id)' is enrolled twice", at: idNode)
                valid = false
                continue
            }
            guard let attestation = readAttestation(options, what: "enrollment '\(id)'", fileKey: "cert_file", reader: &reader, folder: folder) else {
                valid = false
                continue
            }
            var enrollment = ProvisioningSpec.Enrollment(registrationID: id, attestation: attestation)
            guard let enabled = readEnabled(options, reader: &reader) else {
                valid = false
                continue
            }
            enrollment.isEnabled = enabled
            spec.enrollments.append(enrollment)
        }
        var names = Set<String>()
        for item in list(entries["groups"], "dps groups", reader: &reader) {
            guard let options = reader.mapping(item, "group", keys: Vocabulary.enrollmentGroup) else {
                valid = false
                continue
            }
            guard let nameNode = options["name"], let name = reader.nonEmptyString(nameNode, "group name") else {
                if options["name"] == nil { reader.missing("name", in: options, "group") }
                valid = false
                continue
            }
            guard name.utf8.count <= 128, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }) else {
                reader.error("group name '\(name)' must be 1 to 128 letters, digits and - . _", at: nameNode)
                valid = false
                continue
            }
            guard names.insert(name).inserted else {
                reader.error("group '\(name)' is given twice", at: nameNode)
                valid = false
                continue
            }
            guard let attestation = readAttestation(options, what: "group '\(name)'", fileKey: "ca_file", reader: &reader, folder: folder) else {
                valid = false
                continue
            }
            var group = ProvisioningSpec.Group(name: name, attestation: attestation)
            guard let enabled = readEnabled(options, reader: &reader) else {
                valid = false
                continue
            }
            group.isEnabled = enabled
            spec.groups.append(group)
        }
        return valid ? spec : nil
    }

    /// The items of a list key, or none (reporting a value that is not a list).
    private static func list(_ node: Node?, _ what: String, reader: inout YAMLReader) -> [Node] {
        guard let node else { return [] }
        guard let sequence = node.sequence else {
            reader.error("\(what) must be a list (each item starting with '- '), not \(reader.describe(node))", at: node)
            return []
        }
        return Array(sequence)
    }

    /// `attestation: symmetric_key` with `primary_key` (and `secondary_key`), or `attestation:
    /// x509` with `fileKey` (an individual enrollment's `cert_file`, a group's `ca_file`).
    private static func readAttestation(_ options: YAMLReader.Entries, what: String, fileKey: String, reader: inout YAMLReader, folder: URL) -> ProvisioningSpec.Attestation? {
        guard let node = options["attestation"] else {
            reader.missing("attestation", in: options, what)
            return nil
        }
        guard let kind = reader.string(node, "attestation") else { return nil }
        switch kind {
        case "symmetric_key":
            if let file = options[fileKey] {
                reader.error("\(what): '\(fileKey)' belongs to attestation x509, not symmetric_key", at: file)
                return nil
            }
            guard let primaryNode = options["primary_key"] else {
                reader.error("\(what) has attestation symmetric_key and no primary_key: give the \(fileKey == "ca_file" ? "group" : "enrollment")'s key (base64)", at: node)
                return nil
            }
            guard let primary = readKey(primaryNode, "primary_key", reader: &reader) else { return nil }
            var secondary: DeviceKey?
            if let secondaryNode = options["secondary_key"] {
                guard let key = readKey(secondaryNode, "secondary_key", reader: &reader) else { return nil }
                secondary = key
            }
            return .symmetricKey(primary: primary, secondary: secondary)
        case "x509":
            for key in ["primary_key", "secondary_key"] {
                if let keyNode = options[key] {
                    reader.error("\(what): '\(key)' belongs to attestation symmetric_key, not x509", at: keyNode)
                    return nil
                }
            }
            guard let fileNode = options[fileKey], let text = reader.nonEmptyString(fileNode, fileKey) else {
                if options[fileKey] == nil { reader.error("\(what) has attestation x509 and no \(fileKey)", at: node) }
                return nil
            }
            let path = text.hasPrefix("/") ? text : folder.appendingPathComponent(text).standardizedFileURL.path
            do {
                if fileKey == "ca_file" {
                    _ = try CertificateFiles.authorityCertificate(at: path)
                    return .certificateAuthority(file: path)
                }
                _ = try CertificateFiles.certificate(at: path)
                return .certificate(file: path)
            } catch {
                reader.error("\(what) \(fileKey): \(error)", at: fileNode)
                return nil
            }
        default:
            reader.error("attestation '\(kind)' is unknown\(Suggestions.hint(for: kind, in: Vocabulary.attestations)); known: \(Vocabulary.attestations.joined(separator: ", "))", at: node)
            return nil
        }
    }

    /// A base64 key, marked secret.
    static func readKey(_ node: Node, _ what: String, reader: inout YAMLReader) -> DeviceKey? {
        guard let text = reader.nonEmptyString(node, what) else { return nil }
        reader.markSecret(text)
        do {
            return try DeviceKey(base64: text)
        } catch {
            reader.error("\(what): \(error)", at: node)
            return nil
        }
    }
}
