import MQTTCore
import NIOCore

/// MQTT 5.0 enhanced authentication (section 4.12): the broker's AUTH challenges during
/// CONNECT and re-authentication, answered from the configuration's ``AuthenticationPolicy``.
extension MQTTClientSession {
    /// Where an enhanced authentication exchange is, per connection.
    struct AuthenticationExchange: Sendable, Hashable {
        /// The CONNECT's Authentication Method; `nil`: no enhanced authentication.
        var method: String?
        /// How many of the policy's responses were sent in this exchange.
        var step = 0
        /// The re-authentication operation waiting for the broker's AUTH Success.
        var operation: OperationID?

        init(connect properties: MQTTProperties = .none) {
            if case .authenticationMethod(let method)? = properties.first(.authenticationMethod) { self.method = method }
        }
    }

    /// Starts a re-authentication: AUTH Re-authenticate (0x19) with the CONNECT's method
    /// [MQTT-4.12.1-1].
    mutating func reauthenticate(id: OperationID, now: Int64) -> [Action] {
        guard state == .connected else { return [complete(id, .connectionEnded(reason: notConnectedReason))] }
        guard version == .v5, let method = authentication.method else {
            return [complete(id, .unsupported(reason: "re-authentication needs MQTT 5.0 and an authentication_method in the CONNECT [MQTT-4.12.1-1]"))]
        }
        authentication.step = 0
        authentication.operation = id
        return withTimer([send(version.auth(.reAuthenticate, method: method, data: configuration.authentication?.reauthenticationData), now: now)], now: now)
    }

    /// An AUTH from the broker, before CONNACK or on an accepted connection.
    mutating func authReceived(_ auth: AuthPacket, now: Int64) -> [Action] {
        guard version == .v5, let method = authentication.method else {
            return violation("the broker sent AUTH, and the CONNECT named no authentication_method [MQTT-4.12.0-6]", code: .protocolError, now: now)
        }
        let serverMethod: String? = if case .authenticationMethod(let name)? = auth.properties.first(.authenticationMethod) { name } else { nil }
        guard serverMethod == method else {
            let named = serverMethod.map { "method \(MQTTPacket.describePayload(ByteBuffer(string: $0)))" } ?? "no method"
            return violation("the broker's AUTH names \(named), and the CONNECT named \(MQTTPacket.describePayload(ByteBuffer(string: method))) [MQTT-4.12.0-5]", code: .protocolError, now: now)
        }
        switch auth.reasonCode {
        case .continueAuthentication:
            var actions: [Action] = [.report(.authenticationChallenge(auth))]
            let responses = configuration.authentication?.responses ?? []
            guard authentication.step < responses.count else {
                let reason = "the broker asked for authentication step \(authentication.step + 1), and the client has \(responses.count) response\(responses.count == 1 ? "" : "s")"
                actions += closeWithDisconnect(.unspecifiedError, reason: reason, now: now)
                return actions
            }
            let data = responses[authentication.step]
            authentication.step += 1
            actions.append(send(version.auth(.continueAuthentication, method: method, data: data), now: now))
            return state == .connected ? withTimer(actions, now: now) : actions
        case .success where state == .connected && authentication.operation != nil:
            let operation = authentication.operation
            authentication.operation = nil
            authentication.step = 0
            return withTimer(operation.map { [complete($0, .answered(.auth(auth)))] } ?? [], now: now)
        default:
            return violation("the broker sent AUTH \(auth.reasonCode.description(in: .auth)) where it may not [MQTT-4.12.0-2]", code: .protocolError, now: now)
        }
    }

    /// Closes the connection with a DISCONNECT carrying `code`, for a reason of the client's
    /// own (not the broker's fault): every waiting operation ends with `reason`.
    mutating func closeWithDisconnect(_ code: MQTTReasonCode, reason: String, now: Int64) -> [Action] {
        closedByClient = reason
        var properties = MQTTProperties()
        try? properties.append(.reasonString(reason))
        return [send(version.disconnect(code, properties: properties), now: now), .closeTransport]
    }
}
