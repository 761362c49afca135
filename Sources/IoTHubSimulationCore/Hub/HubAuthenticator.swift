import IoTHubCore
import MQTTCore

/// The outcome of checking a CONNECT packet.
public enum AuthenticationResult: Sendable, Hashable {
    /// The device may connect; its token expires at `tokenExpiry` (`se`, Unix seconds), or
    /// never (`nil`) for a device that authenticated with its X.509 certificate.
    case accepted(DeviceID, tokenExpiry: Int64?)
    /// The hub answers with `code` and closes; `reason` says why (never a secret).
    case refused(ConnectReturnCode, reason: String)
}

/// Checks CONNECT credentials the way IoT Hub does: protocol level 4, client id equal to the
/// device id in the user name, a known enabled device, and a SAS token signed with one of the
/// device's keys (or a policy key with DeviceConnect), covering the device and not expired.
/// A device registered for X.509 authentication is checked by the certificate it presented in
/// the TLS handshake instead (``CertificateAuthentication``); its password, if any, is not read.
/// Every refusal but the protocol level gets CONNACK 5, as the real hub does.
public enum HubAuthenticator {
    /// Checks `connect` against the registry at time `now`; `certificate` is the client
    /// certificate chain the connection's TLS handshake presented, if any.
    public static func authenticate(
        _ connect: ConnectPacket,
        registry: DeviceRegistry,
        configuration: HubConfiguration,
        certificate: ClientCertificateChain? = nil,
        now: HubTime
    ) -> AuthenticationResult {
        guard connect.protocolName == "MQTT", connect.protocolLevel == 4 else {
            return .refused(
                .unacceptableProtocolVersion,
                reason: "protocol \(connect.protocolName) level \(connect.protocolLevel) is not MQTT 3.1.1 (level 4)"
            )
        }
        guard let usernameText = connect.username else {
            return .refused(.notAuthorized, reason: "CONNECT has no user name")
        }
        let username: IoTHubUsername
        do {
            username = try IoTHubUsername(parsing: usernameText)
        } catch {
            return .refused(.notAuthorized, reason: "\(error)")
        }
        guard username.hostName.lowercased() == configuration.hostName.lowercased() else {
            return .refused(
                .notAuthorized,
                reason: "user name host '\(username.hostName)' is not this hub ('\(configuration.hostName)')"
            )
        }
        guard username.moduleID == nil else {
            return .refused(.notAuthorized, reason: "module identities are not supported by the simulated hub")
        }
        guard connect.clientID == username.deviceID else {
            return .refused(
                .notAuthorized,
                reason: "client id '\(connect.clientID)' differs from the user name's device id '\(username.deviceID)'"
            )
        }
        guard let deviceID = try? DeviceID(connect.clientID), let device = registry[deviceID] else {
            return .refused(.notAuthorized, reason: "device '\(connect.clientID)' is not registered")
        }
        guard device.status == .enabled else {
            return .refused(.notAuthorized, reason: "device '\(deviceID)' is disabled")
        }
        if device.authentication.usesCertificate {
            if let refusal = CertificateAuthentication.refusal(
                for: device,
                presenting: certificate,
                authorities: registry.certificateAuthorities,
                now: now
            ) {
                return .refused(.notAuthorized, reason: refusal)
            }
            return .accepted(deviceID, tokenExpiry: nil)
        }
        guard let password = connect.passwordText else {
            let hint = certificate == nil ? "" : "; it presented a client certificate, but the device is registered for SAS authentication"
            return .refused(.notAuthorized, reason: "CONNECT has no password (a SAS token)\(hint)")
        }
        let token: SASToken
        do {
            token = try SASToken(parsing: password)
        } catch {
            return .refused(.notAuthorized, reason: "\(error)")
        }
        var keys = device.keys
        if let policyName = token.policyName {
            guard let policy = registry.policies[policyName] else {
                return .refused(.notAuthorized, reason: "SAS token names unknown policy '\(policyName)'")
            }
            guard policy.permissions.contains(.deviceConnect) else {
                return .refused(.notAuthorized, reason: "policy '\(policyName)' lacks DeviceConnect")
            }
            keys = policy.keys
        }
        var target = IoTHubCredentials.deviceResource(hostName: configuration.hostName, deviceID: deviceID)
        // Ids with reserved characters are URL-encoded before the whole resource is encoded
        // again (IoT Hub's double encoding), so the decoded scope may hold the encoded id.
        let encodedTarget = "\(configuration.hostName)/devices/\(PercentEncoding.encode(deviceID.string))"
        if !token.covers(target), token.covers(encodedTarget) { target = encodedTarget }
        do {
            try token.verify(
                keys: keys,
                target: target,
                now: now.unixSeconds,
                allowingSkew: configuration.tokenExpiry.clockSkewSeconds
            )
        } catch {
            return .refused(.notAuthorized, reason: "\(error)")
        }
        return .accepted(deviceID, tokenExpiry: token.expiry)
    }
}
