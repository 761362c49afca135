import IoTHubCore

/// The user name of a CONNECT to the Device Provisioning Service:
/// `{idScope}/registrations/{registrationId}/api-version={version}` (the SDKs add
/// `&ClientVersion=...` and more after it).
public struct ProvisioningUsername: Sendable, Hashable {
    public let idScope: String
    public let registrationID: RegistrationID
    /// The `api-version` query field (the SDKs send `2019-03-31`).
    public let apiVersion: String

    /// Whether `text` has the shape of a DPS user name (`{scope}/registrations/...`, the scope
    /// without dots), as opposed to an IoT Hub one (`{host name}/{device id}/...`, the host
    /// name with dots).
    public static func looksLikeProvisioning(_ text: String) -> Bool {
        let parts = text.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count >= 2 && !parts[0].contains(".") && parts[1] == "registrations"
    }

    /// Parses a DPS user name.
    /// - Throws: ``ProvisioningError`` naming what is wrong.
    public init(parsing text: String) throws(ProvisioningError) {
        let parts = text.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4, parts[1] == "registrations" else {
            throw .malformedUsername(reason: "it is not '{idScope}/registrations/{registrationId}/api-version=...'")
        }
        guard ProvisioningConfiguration.isValidIDScope(parts[0]) else {
            throw .malformedUsername(reason: "ID scope '\(PeerText.escaped(parts[0], limit: 64))' is not letters and digits")
        }
        idScope = parts[0]
        registrationID = try RegistrationID(parts[2])
        var version: String?
        for field in parts[3].split(separator: "&") {
            let pair = field.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if pair[0] == "api-version", pair.count == 2 { version = String(pair[1]) }
        }
        guard let version, !version.isEmpty else {
            throw .malformedUsername(reason: "it has no api-version (the service documents '/api-version=2019-03-31')")
        }
        apiVersion = version
    }
}
