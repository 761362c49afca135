import IoTHubCore
import MQTTCore
import NIOCore

extension HubStateMachine {
    /// A CONNECT with a DPS user name (`{idScope}/registrations/{registrationId}/...`): the
    /// Device Provisioning Service on the hub's listener takes it. The scope, client id and
    /// user name are checked here; the token at the registration request, as the real service
    /// does it.
    mutating func handleProvisioningConnect(_ connect: ConnectPacket, username text: String, on connection: ConnectionID, at now: HubTime, actions: inout [Action]) {
        guard connect.protocolName == "MQTT", connect.protocolLevel == 4 else {
            refuse(
                connect,
                on: connection,
                code: .unacceptableProtocolVersion,
                reason: "protocol \(connect.protocolName) level \(connect.protocolLevel) is not MQTT 3.1.1 (level 4)",
                at: now,
                actions: &actions
            )
            return
        }
        guard let service = provisioning else {
            refuse(connect, on: connection, code: .notAuthorized, reason: "DPS user name, but this hub runs no Device Provisioning Service (harness hub --dps-scope)", at: now, actions: &actions)
            return
        }
        let username: ProvisioningUsername
        do {
            username = try ProvisioningUsername(parsing: text)
        } catch {
            refuse(connect, on: connection, code: .notAuthorized, reason: error.description, at: now, actions: &actions)
            return
        }
        guard username.idScope.lowercased() == service.configuration.idScope.lowercased() else {
            refuse(
                connect,
                on: connection,
                code: .notAuthorized,
                reason: "ID scope '\(username.idScope)' is not this Device Provisioning Service's ('\(service.configuration.idScope)')",
                at: now,
                actions: &actions
            )
            return
        }
        guard connect.clientID == username.registrationID.string else {
            refuse(
                connect,
                on: connection,
                code: .notAuthorized,
                reason: "client id '\(PeerText.escaped(connect.clientID, limit: 64))' differs from the user name's registration id '\(username.registrationID)'",
                at: now,
                actions: &actions
            )
            return
        }
        pending.remove(connection)
        let timeout = configuration.keepAliveTimeout(forKeepAlive: connect.keepAlive)
        var state = Connection(phase: .provisioning, lastActivity: now, keepAliveTimeout: timeout)
        state.clientCertificate = connections[connection]?.clientCertificate
        state.provisioning = ProvisioningSession(registrationID: username.registrationID, password: connect.passwordText)
        connections[connection] = state
        // DPS keeps no sessions: every session is clean, whatever the flag says.
        actions.append(.send(.connack(ConnAckPacket(sessionPresent: false, returnCode: .accepted)), to: connection))
        actions.append(.emit(.provisioning(.connected(username.registrationID, connection: connection))))
        actions.append(.wakeUp(at: now + timeout))
    }

    /// A packet on a connection to the Device Provisioning Service.
    mutating func handleProvisioningPacket(_ packet: MQTTPacket, on connection: ConnectionID, at now: HubTime, actions: inout [Action]) {
        guard var session = connections[connection]?.provisioning else { return }
        switch packet {
        case .subscribe(let subscribe):
            var codes: [SubAckPacket.ReturnCode] = []
            for subscription in subscribe.subscriptions {
                guard subscription.filter.string == ProvisioningRequest.responseFilter else {
                    end(
                        connection,
                        reason: .protocolViolation("SUBSCRIBE to '\(subscription.filter)': the Device Provisioning Service allows only \(ProvisioningRequest.responseFilter)"),
                        at: now,
                        actions: &actions
                    )
                    return
                }
                let qos = min(subscription.qos, .atLeastOnce)
                session.responseQoS = qos
                codes.append(.granted(qos))
            }
            connections[connection]?.provisioning = session
            actions.append(.send(.suback(SubAckPacket(packetID: subscribe.packetID, returnCodes: codes)), to: connection))
        case .unsubscribe(let unsubscribe):
            if unsubscribe.filters.contains(where: { $0.string == ProvisioningRequest.responseFilter }) { session.responseQoS = nil }
            connections[connection]?.provisioning = session
            actions.append(.send(.unsuback(packetID: unsubscribe.packetID), to: connection))
        case .publish(let publish):
            handleProvisioningPublish(publish, session: session, on: connection, at: now, actions: &actions)
        case .puback:
            break  // The device acknowledged an answer; nothing waits for it.
        case .pingreq:
            actions.append(.send(.pingresp, to: connection))
        case .disconnect:
            end(connection, reason: .clientDisconnected, at: now, actions: &actions)
        case .connect:
            end(connection, reason: .protocolViolation("second CONNECT on one connection [MQTT-3.1.0-2]"), at: now, actions: &actions)
        case .pubrec, .pubrel, .pubcomp:
            end(connection, reason: .protocolViolation("\(packet.type): the Device Provisioning Service does not support QoS 2"), at: now, actions: &actions)
        case .connack, .suback, .unsuback, .pingresp, .auth:
            end(connection, reason: .protocolViolation("\(packet.type) is not a packet a DPS client sends"), at: now, actions: &actions)
        }
    }

    private mutating func handleProvisioningPublish(_ publish: PublishPacket, session: ProvisioningSession, on connection: ConnectionID, at now: HubTime, actions: inout [Action]) {
        guard publish.qos != .exactlyOnce else {
            end(connection, reason: .protocolViolation("QoS 2 PUBLISH: the Device Provisioning Service supports QoS 0 and 1 only"), at: now, actions: &actions)
            return
        }
        let request: ProvisioningRequest
        do {
            request = try ProvisioningRequest(topic: publish.topic.string)
        } catch {
            actions.append(.emit(.provisioning(.refused(session.registrationID, status: nil, reason: error.description))))
            end(connection, reason: .protocolViolation("PUBLISH to disallowed topic '\(PeerText.escaped(publish.topic.string))'"), at: now, actions: &actions)
            return
        }
        if let packetID = publish.packetID, publish.qos == .atLeastOnce {
            actions.append(.send(.puback(packetID: packetID), to: connection))
        }
        guard var service = provisioning else { return }
        let outcome: ProvisioningService.Outcome
        switch request {
        case .register(let requestID):
            outcome = service.register(
                session.registrationID,
                password: session.password,
                certificate: connections[connection]?.clientCertificate,
                body: Array(publish.payload.readableBytesView),
                requestID: requestID,
                tokenSkewSeconds: configuration.tokenExpiry.clockSkewSeconds,
                at: now
            )
        case .operationStatus(let requestID, let operationID):
            outcome = service.operationStatus(session.registrationID, operationID: operationID, requestID: requestID, registry: registry, at: now)
        }
        provisioning = service
        if let device = outcome.device { actions += upsert(device, at: now) }
        if let event = outcome.event { actions.append(.emit(.provisioning(event))) }
        answer(outcome.response, on: connection, at: now, actions: &actions)
    }

    /// Publishes `response` to the device on its `$dps/registrations/res/#` subscription; a
    /// device that has not subscribed gets nothing, and the event says so.
    private mutating func answer(_ response: ProvisioningResponse, on connection: ConnectionID, at now: HubTime, actions: inout [Action]) {
        guard var session = connections[connection]?.provisioning else { return }
        guard let qos = session.responseQoS else {
            actions.append(
                .emit(.provisioning(.refused(session.registrationID, status: response.status, reason: "answer not sent: the device has not subscribed to \(ProvisioningRequest.responseFilter)")))
            )
            return
        }
        guard let topic = try? TopicName(response.topic) else { return }
        let packetID = qos == .atLeastOnce ? session.nextPacketID() : nil
        connections[connection]?.provisioning = session
        let payload = ByteBuffer(string: response.body.jsonText)
        actions.append(.send(.publish(PublishPacket(topic: topic, payload: payload, qos: qos, packetID: packetID)), to: connection))
    }
}
