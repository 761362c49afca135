import IoTHubCore
import MQTTCore
import NIOCore

extension HubStateMachine {
    /// A packet from an authenticated device.
    mutating func handlePacket(_ packet: MQTTPacket, from deviceID: DeviceID, on connection: ConnectionID, at now: HubTime, actions: inout [Action]) {
        switch packet {
        case .connect:
            end(connection, reason: .protocolViolation("second CONNECT on one connection [MQTT-3.1.0-2]"), at: now, actions: &actions)
        case .publish(let publish):
            handlePublish(publish, from: deviceID, on: connection, at: now, actions: &actions)
        case .puback(let puback):
            acknowledge(packetID: puback.packetID, from: deviceID, actions: &actions)
        case .subscribe(let subscribe):
            handleSubscribe(subscribe, from: deviceID, on: connection, at: now, actions: &actions)
        case .unsubscribe(let unsubscribe):
            if var session = sessions[deviceID] {
                for filter in unsubscribe.filters {
                    let before = session.subscriptions.count
                    session.subscriptions.removeAll { $0.filter == filter }
                    if session.subscriptions.count != before { actions.append(.emit(.unsubscribed(deviceID, filter: filter))) }
                }
                sessions[deviceID] = session
            }
            actions.append(.send(.unsuback(packetID: unsubscribe.packetID), to: connection))
        case .pingreq:
            actions.append(.send(.pingresp, to: connection))
        case .disconnect:
            end(connection, reason: .clientDisconnected, at: now, actions: &actions)
        case .pubrec, .pubrel, .pubcomp:
            end(connection, reason: .protocolViolation("\(packet.type): IoT Hub does not support QoS 2"), at: now, actions: &actions)
        case .connack, .suback, .unsuback, .pingresp:
            end(connection, reason: .protocolViolation("\(packet.type) is a server-to-client packet"), at: now, actions: &actions)
        case .auth:
            // MQTT 5.0 only: the hub's 3.1.1 codec refuses type 15 before it gets here.
            end(connection, reason: .protocolViolation("AUTH: IoT Hub speaks MQTT 3.1.1, which has no AUTH"), at: now, actions: &actions)
        }
    }

    private mutating func handlePublish(_ publish: PublishPacket, from deviceID: DeviceID, on connection: ConnectionID, at now: HubTime, actions: inout [Action]) {
        guard publish.qos != .exactlyOnce else {
            end(connection, reason: .protocolViolation("QoS 2 PUBLISH: IoT Hub supports QoS 0 and 1 only"), at: now, actions: &actions)
            return
        }
        let publication: HubTopicPolicy.Publication
        switch HubTopicPolicy.classify(publish.topic, for: deviceID) {
        case .none:
            end(connection, reason: .protocolViolation("PUBLISH to disallowed topic '\(publish.topic)'"), at: now, actions: &actions)
            return
        case .some(let kind):
            publication = kind
        }
        guard case .telemetry(var properties) = publication else {
            if let packetID = publish.packetID, publish.qos == .atLeastOnce {
                actions.append(.send(.puback(packetID: packetID), to: connection))
            }
            switch publication {
            case .twinGet(let requestID):
                twinRequested(requestID: requestID, from: deviceID, actions: &actions)
            case .twinReportedPatch(let requestID):
                reportedPatched(requestID: requestID, payload: publish.payload, from: deviceID, actions: &actions)
            case .methodResponse(let status, let requestID):
                methodAnswered(status: status, requestID: requestID, payload: publish.payload, from: deviceID, actions: &actions)
            case .telemetry:
                break
            }
            return
        }
        let propertySize = properties.properties.reduce(0) { $0 + $1.name.utf8.count + ($1.value?.utf8.count ?? 0) }
        let size = publish.payload.readableBytes + propertySize
        guard size <= configuration.d2cMaximumSize else {
            end(
                connection,
                reason: .protocolViolation("telemetry of \(size) bytes exceeds \(configuration.d2cMaximumSize) bytes (MessageTooLarge)"),
                at: now,
                actions: &actions
            )
            return
        }
        if handleFaultRequest(publish, properties: properties, from: deviceID, on: connection, at: now, actions: &actions) { return }
        guard admitTelemetry(from: deviceID, on: connection, at: now, actions: &actions) else { return }
        if publish.retain { properties.append("mqtt-retain", "true") }
        if let packetID = publish.packetID, publish.qos == .atLeastOnce {
            actions.append(.send(.puback(packetID: packetID), to: connection))
        }
        actions.append(.emit(.telemetry(deviceID, properties: properties, payload: publish.payload)))
    }

    private mutating func handleSubscribe(_ subscribe: SubscribePacket, from deviceID: DeviceID, on connection: ConnectionID, at now: HubTime, actions: inout [Action]) {
        var session = sessions[deviceID] ?? DeviceSession()
        var codes: [SubAckPacket.ReturnCode] = []
        var granted: [(TopicFilter, MQTTQoS)] = []
        for subscription in subscribe.subscriptions {
            guard let kind = HubTopicPolicy.classify(subscription.filter, for: deviceID) else {
                end(connection, reason: .protocolViolation("SUBSCRIBE to disallowed filter '\(subscription.filter)'"), at: now, actions: &actions)
                return
            }
            let qos = min(subscription.qos, .atLeastOnce)
            if let index = session.subscriptions.firstIndex(where: { $0.filter == subscription.filter }) {
                session.subscriptions[index] = (subscription.filter, kind, qos)
            } else {
                guard session.subscriptions.count < configuration.maximumSubscriptions else {
                    end(
                        connection,
                        reason: .protocolViolation("more than \(configuration.maximumSubscriptions) subscriptions"),
                        at: now,
                        actions: &actions
                    )
                    return
                }
                session.subscriptions.append((subscription.filter, kind, qos))
            }
            codes.append(.granted(qos))
            granted.append((subscription.filter, qos))
        }
        sessions[deviceID] = session
        actions.append(.send(.suback(SubAckPacket(packetID: subscribe.packetID, returnCodes: codes)), to: connection))
        for (filter, qos) in granted {
            actions.append(.emit(.subscribed(deviceID, filter: filter, grantedQoS: qos)))
        }
        deliverQueued(to: deviceID, at: now, actions: &actions)
        sendWaitingMethods(to: deviceID, at: now, actions: &actions)
    }
}
