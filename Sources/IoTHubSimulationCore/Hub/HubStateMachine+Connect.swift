import IoTHubCore
import MQTTCore

extension HubStateMachine {
    /// CONNECT on a new connection: authenticate, take over from an older connection of the
    /// same device, restore or discard the session, answer CONNACK, then deliver queued C2D.
    mutating func handleConnect(_ connect: ConnectPacket, on connection: ConnectionID, at now: HubTime, actions: inout [Action]) {
        guard admitConnect(connect, on: connection, at: now, actions: &actions) else { return }
        if let username = connect.username, ProvisioningUsername.looksLikeProvisioning(username) {
            handleProvisioningConnect(connect, username: username, on: connection, at: now, actions: &actions)
            return
        }
        let result = HubAuthenticator.authenticate(
            connect,
            registry: registry,
            configuration: configuration,
            certificate: connections[connection]?.clientCertificate,
            now: now
        )
        var outcome: (deviceID: DeviceID, tokenExpiry: Int64?)?
        switch result {
        case .refused(let code, let reason):
            refuse(connect, on: connection, code: code, reason: reason, at: now, actions: &actions)
        case .accepted(let deviceID, let tokenExpiry):
            if let will = connect.will, !Self.isTelemetry(will.topic, for: deviceID) {
                refuse(
                    connect,
                    on: connection,
                    code: .notAuthorized,
                    reason: "will topic '\(will.topic)' is not the device's telemetry topic",
                    at: now,
                    actions: &actions
                )
            } else {
                outcome = (deviceID, tokenExpiry)
            }
        }
        guard let (deviceID, tokenExpiry) = outcome else { return }

        var session = sessions[deviceID] ?? DeviceSession()
        if let previous = session.connection, previous != connection {
            end(previous, reason: .replacedByNewConnection, at: now, actions: &actions)
            session = sessions[deviceID] ?? DeviceSession()
        }
        let sessionPresent: Bool
        if connect.cleanSession {
            session.subscriptions.removeAll()
            session.isPersistent = false
            sessionPresent = false
        } else {
            sessionPresent = session.isPersistent
            session.isPersistent = true
        }
        session.connection = connection
        session.lastTokenExpiry = tokenExpiry
        sessions[deviceID] = session

        pending.remove(connection)
        let timeout = configuration.keepAliveTimeout(forKeepAlive: connect.keepAlive)
        let drop = tokenExpiry.map { configuration.tokenExpiry.dropTime(expiry: $0) }
        connections[connection] = Connection(
            phase: .connected(deviceID),
            lastActivity: now,
            keepAliveTimeout: timeout,
            tokenDropTime: drop,
            tokenExpiry: tokenExpiry.map { HubTime(unixSeconds: $0) },
            will: connect.will,
            cleanSession: connect.cleanSession,
            clientCertificate: connections[connection]?.clientCertificate
        )
        actions.append(.send(.connack(ConnAckPacket(sessionPresent: sessionPresent, returnCode: .accepted)), to: connection))
        actions.append(
            .emit(
                .connected(
                    deviceID,
                    connection: connection,
                    cleanSession: connect.cleanSession,
                    sessionPresent: sessionPresent,
                    keepAlive: connect.keepAlive
                )
            )
        )
        actions.append(.wakeUp(at: drop.map { min($0, now + timeout) } ?? now + timeout))
        deliverQueued(to: deviceID, at: now, actions: &actions)
        sendWaitingMethods(to: deviceID, at: now, actions: &actions)
    }

    static func isTelemetry(_ topic: TopicName, for deviceID: DeviceID) -> Bool {
        if case .telemetry = HubTopicPolicy.classify(topic, for: deviceID) { true } else { false }
    }

    mutating func refuse(
        _ connect: ConnectPacket,
        on connection: ConnectionID,
        code: ConnectReturnCode,
        reason: String,
        at now: HubTime,
        actions: inout [Action]
    ) {
        actions.append(.send(.connack(ConnAckPacket(sessionPresent: false, returnCode: code)), to: connection))
        actions.append(.emit(.connectionRefused(clientID: connect.clientID, connection: connection, code: code, reason: reason)))
        // A refused CONNECT never publishes a will [MQTT-3.2.2-5: the server closes after a non-zero CONNACK].
        end(connection, reason: .refused(code), at: now, actions: &actions)
    }
}
