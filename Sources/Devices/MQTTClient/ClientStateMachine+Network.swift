import MQTTCore

extension ClientStateMachine {
    /// The network connection is up: send CONNECT.
    public mutating func transportConnected(now: Int64) -> [Action] {
        guard state == .openingTransport, let packet = connectPacket else { return [] }
        state = .awaitingConnAck
        lastReceived = now
        return [.report(.transportConnected), sent(.connect(packet), now: now)]
    }

    /// The network connection could not be opened.
    public mutating func transportFailed(reason: String, now: Int64) -> [Action] {
        guard state == .openingTransport else { return [] }
        if isReconnect {
            return scheduleRetry(now: now, events: [.transportFailed(reason: reason)])
        }
        if errorsStopProgram {
            // umqtt: `sock.connect` raises OSError out of the program.
            return stop(reason: "OSError: \(reason)", events: [.transportFailed(reason: reason)], connectOutcome: .connectionEnded(reason: reason))
        }
        state = .idle
        return [.report(.transportFailed(reason: reason))] + endPendingConnect(.connectionEnded(reason: reason))
    }

    /// A packet arrived from the broker.
    public mutating func packetReceived(_ packet: MQTTPacket, now: Int64) -> [Action] {
        lastReceived = now
        switch (state, packet) {
        case (.awaitingConnAck, .connack(let connack)):
            return connAckReceived(connack, now: now)
        case (.awaitingConnAck, _):
            // umqtt.simple reads four bytes and asserts they are a CONNACK.
            var actions = stop(
                reason: "AssertionError: expected CONNACK, got \(packet.type)",
                events: [],
                connectOutcome: .connectionEnded(reason: "\(packet.type) before CONNACK")
            )
            actions.append(.closeTransport)
            return actions
        case (.connected, .publish(let publish)):
            guard publish.qos != .exactlyOnce else {
                var actions = stop(reason: "AssertionError: QoS 2 PUBLISH", events: [], connectOutcome: nil)
                actions.append(.closeTransport)
                return actions
            }
            var actions: [Action] = [
                .report(.messageReceived(topic: publish.topic, payload: publish.payload, qos: publish.qos)),
                .deliver(topic: publish.topic, payload: publish.payload),
            ]
            if publish.qos == .atLeastOnce, let id = publish.packetID {
                actions.append(sent(.puback(packetID: id), now: now))
            }
            return withTimer(actions, now: now)
        case (.connected, .suback(let suback)):
            var actions: [Action] = [.report(.subAckReceived(suback))]
            if suback.packetID == pendingSubscription {
                pendingSubscription = nil
                actions.append(.completeSubscribe(.answered))
                if suback.returnCodes.contains(.failure) {
                    // umqtt.simple: `raise MQTTException(resp[3])` on 0x80.
                    actions += stop(reason: "MQTTException(128)", events: [], connectOutcome: nil)
                    actions.append(.closeTransport)
                    return actions
                }
            }
            return withTimer(actions, now: now)
        case (.connected, .unsuback(let id)) where id == pendingUnsubscription:
            pendingUnsubscription = nil
            return withTimer([.completeUnsubscribe(.answered)], now: now)
        case (.connected, .puback(let id)) where id == pendingPublication:
            pendingPublication = nil
            return withTimer([.completePublish(.answered)], now: now)
        case (.connected, .pingresp):
            pingSentAt = nil
            return withTimer([], now: now)
        case (.connected, _):
            // The rest: umqtt's wait_msg swallows or returns them unread.
            return withTimer([], now: now)
        case (.idle, _), (.fetchingToken, _), (.openingTransport, _), (.closingToRenew, _), (.waitingToReconnect, _), (.stopped, _):
            return []
        }
    }

    private mutating func connAckReceived(_ connack: ConnAckPacket, now: Int64) -> [Action] {
        guard connack.returnCode == .accepted else {
            let exception = "MQTTException(\(connack.returnCode.rawValue))"
            if errorsStopProgram {
                // umqtt.simple: `raise MQTTException(resp[3])`; umqtt.robust lets it escape.
                var actions = stop(reason: exception, events: [.connAckReceived(connack)], connectOutcome: .answered)
                actions.append(.closeTransport)
                return actions
            }
            // The SDK reports the refusal to the application and stops retrying.
            state = .idle
            var actions: [Action] = [.report(.connAckReceived(connack))]
            if isReconnect {
                actions.append(.report(.disconnected(reason: "reconnect refused with CONNACK \(connack.returnCode.rawValue); the client stops retrying")))
            }
            actions += endPendingConnect(.answered)
            actions.append(.closeTransport)
            return actions
        }
        state = .connected
        reconnectAttempt = 0
        pingSentAt = nil
        var actions: [Action] = [.report(.connAckReceived(connack))]
        actions += endPendingConnect(.answered)
        if isReconnect && profile.resubscribesAfterReconnect && !subscriptions.isEmpty {
            actions.append(sent(.subscribe(makeSubscribe(subscriptions)), now: now))
        }
        return withTimer(actions, now: now)
    }

    /// The network connection closed.
    public mutating func transportClosed(now: Int64) -> [Action] {
        switch state {
        case .idle, .stopped:
            return [.report(.disconnected(reason: "connection closed"))]
        case .closingToRenew:
            isReconnect = true
            state = .openingTransport
            return [.report(.disconnected(reason: "closed to renew the token")), .openTransport]
        case .waitingToReconnect, .fetchingToken:
            return []
        case .openingTransport, .awaitingConnAck, .connected:
            return connectionDropped(now: now)
        }
    }

    private mutating func connectionDropped(now: Int64) -> [Action] {
        let ending: OperationOutcome = .connectionEnded(reason: "the connection closed")
        let beforeConnAck = state == .awaitingConnAck || state == .openingTransport
        switch profile.reconnectPolicy {
        case .never:
            var events: [DeviceEvent] = [.disconnected(reason: "connection closed by the broker")]
            events.append(.crashed(reason: "OSError: -1 (connection closed in wait_msg)"))
            return stop(reason: "OSError: -1", events: events, connectOutcome: ending, reportCrash: false)
        case .cleanSessionZero(let firstDelay, _, let refusalStopsProgram):
            if beforeConnAck && refusalStopsProgram {
                // umqtt.simple 1.3.4 reads CONNACK with `sock.read(4)`; an empty read makes
                // `resp[0]` raise IndexError, which umqtt.robust does not catch.
                let reason = "IndexError: index out of range (connection closed before CONNACK)"
                var actions = stop(reason: reason, events: [.disconnected(reason: "connection closed before CONNACK")], connectOutcome: ending)
                actions.append(.closeTransport)
                return actions
            }
            if beforeConnAck && isReconnect {
                return scheduleRetry(now: now, events: [.disconnected(reason: "connection closed before CONNACK")])
            }
            var actions: [Action] = [.report(.disconnected(reason: "connection closed by the broker"))]
            actions += finishPending(ending)
            actions += endPendingConnect(ending)
            renewalInProgress = false
            isReconnect = true
            reconnectAttempt = 1
            let until = now + firstDelay.nanoseconds
            state = .waitingToReconnect(until: until)
            if firstDelay <= .zero { return actions + startReconnect(now: now) }
            return actions + [.scheduleTick(at: until)]
        }
    }
}
