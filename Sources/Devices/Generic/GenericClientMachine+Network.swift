import MQTTCore

extension GenericClientMachine {
    /// The network connection is up: send CONNECT, or the raw bytes that asked for it.
    public mutating func transportConnected(now: UInt64) -> [Action] {
        guard case .opening(let raw) = state else { return [] }
        if let raw {
            state = .open
            lastSent = now
            return [.report(.transportConnected), .sendBytes(raw), .report(.bytesSent(raw)), .complete(.sendBytes, .answered)]
        }
        guard let packet = connectPacket else { return [] }
        state = .awaitingConnAck
        return [.report(.transportConnected), sent(.connect(packet), now: now)]
    }

    /// The network connection could not be opened.
    public mutating func transportFailed(reason: String, now: UInt64) -> [Action] {
        guard case .opening(let raw) = state else { return [] }
        state = .idle
        var actions: [Action] = [.report(.transportFailed(reason: reason))]
        if raw != nil { actions.append(.complete(.sendBytes, .connectionEnded(reason: reason))) }
        return actions + endPending(reason)
    }

    /// The network connection closed (by either side).
    public mutating func transportClosed(now: UInt64) -> [Action] {
        let reason: String
        var completion: [Action] = []
        switch state {
        case .idle, .opening:
            return []
        case .closing:
            reason = "the client disconnected"
            completion = [.complete(.disconnect, .answered)]
        case .awaitingConnAck, .connected, .open:
            reason = "the broker closed the connection"
        }
        state = .idle
        if let violation = closedForViolation {
            // The client closed it, because the broker broke the protocol: say that, not "the
            // broker closed the connection".
            closedForViolation = nil
            let reason = "the client closed the connection because \(violation)"
            return [.report(.disconnected(reason: reason))] + endPending(reason, outcome: .protocolViolation(reason: violation))
        }
        return [.report(.disconnected(reason: reason))] + endPending(reason) + completion
    }

    /// The broker sent bytes that are not a well-formed MQTT 3.1.1 packet (`description`
    /// says what and the rule, for example a SUBACK return code 0x8F [MQTT-3.9.3-2]): the
    /// client reports it and closes the connection [MQTT-4.8.0-1].
    public mutating func malformedPacketReceived(_ description: String, now: UInt64) -> [Action] {
        guard isTransportOpen, closedForViolation == nil else { return [] }
        let violation = "the broker sent a malformed packet: \(description)"
        closedForViolation = violation
        return [.report(.protocolViolation(violation)), .closeTransport]
    }

    /// A packet arrived from the broker.
    public mutating func packetReceived(_ packet: MQTTPacket, now: UInt64) -> [Action] {
        switch (state, packet) {
        case (.awaitingConnAck, .connack(let connack)), (.open, .connack(let connack)):
            state = connack.returnCode == .accepted ? .connected : .open
            var actions: [Action] = [.report(.connAckReceived(connack))]
            if connectPending {
                connectPending = false
                actions.append(.complete(.connect, .answered))
            }
            return withTimer(actions)
        case (.connected, .publish(let publish)):
            let actions: [Action] = received(publish, now: now)
            return withTimer(actions)
        case (.connected, .pubrel(let id)):
            // Answered whatever the settings: the broker only sends PUBREL after our PUBREC.
            incomingQoS2.remove(id)
            let actions: [Action] = [sent(.pubcomp(packetID: id), now: now)]
            return withTimer(actions)
        case (.connected, .suback(let suback)) where suback.packetID == pendingSubscription:
            pendingSubscription = nil
            let actions: [Action] = [.report(.subAckReceived(suback)), .complete(.subscribe, .answered)]
            return withTimer(actions)
        case (.connected, .unsuback(let id)) where id == pendingUnsubscription:
            pendingUnsubscription = nil
            let actions: [Action] = [.complete(.unsubscribe, .answered)]
            return withTimer(actions)
        case (.connected, .puback(let id)) where id == pendingPublication && outgoingQoS2[id] != nil:
            // A QoS 2 PUBLISH is answered with PUBREC; PUBACK answers QoS 1.
            pendingPublication = nil
            outgoingQoS2[id] = nil
            let violation = "the broker answered the QoS 2 PUBLISH (packet id \(id)) with PUBACK instead of PUBREC [MQTT-4.3.3-2] [MQTT-3.3.4-1]"
            let actions: [Action] = [.report(.protocolViolation(violation)), .complete(.publish, .protocolViolation(reason: violation))]
            return withTimer(actions)
        case (.connected, .puback(let id)) where id == pendingPublication:
            pendingPublication = nil
            let actions: [Action] = [.complete(.publish, .answered)]
            return withTimer(actions)
        case (.connected, .pubrec(let id)) where id == pendingPublication && outgoingQoS2[id] == nil:
            // A QoS 1 PUBLISH is answered with PUBACK; PUBREC answers QoS 2.
            pendingPublication = nil
            let violation = "the broker answered the QoS 1 PUBLISH (packet id \(id)) with PUBREC instead of PUBACK [MQTT-4.3.2-2] [MQTT-3.3.4-1]"
            let actions: [Action] = [.report(.protocolViolation(violation)), .complete(.publish, .protocolViolation(reason: violation))]
            return withTimer(actions)
        case (.connected, .pubrec(let id)) where outgoingQoS2[id] != nil:
            outgoingQoS2[id] = .awaitingPubComp
            let actions: [Action] = [sent(.pubrel(packetID: id), now: now)]
            return withTimer(actions)
        case (.connected, .pubcomp(let id)) where outgoingQoS2[id] == .awaitingPubComp:
            outgoingQoS2[id] = nil
            guard id == pendingPublication else { return withTimer([]) }
            pendingPublication = nil
            let actions: [Action] = [.complete(.publish, .answered)]
            return withTimer(actions)
        default:
            // PINGRESP, late or unknown acknowledgements: nothing to do (the packet tap shows them).
            let actions: [Action] = []
            return withTimer(actions)
        }
    }

    /// An application message: report it and acknowledge it when the settings say so.
    private mutating func received(_ publish: PublishPacket, now: UInt64) -> [Action] {
        var actions: [Action] = [.report(.messageReceived(topic: publish.topic, payload: publish.payload, qos: publish.qos))]
        guard settings.acknowledgesMessages, let id = publish.packetID else { return actions }
        switch publish.qos {
        case .atMostOnce:
            break
        case .atLeastOnce:
            actions.append(sent(.puback(packetID: id), now: now))
        case .exactlyOnce:
            incomingQoS2.insert(id)
            actions.append(sent(.pubrec(packetID: id), now: now))
        }
        return actions
    }

    // MARK: Keep-alive

    /// The time asked for with ``Action/scheduleTick(at:)`` has come: ping when due.
    public mutating func tick(now: UInt64) -> [Action] {
        guard state == .connected, let due = pingDue else { return [] }
        guard now >= due else { return [.scheduleTick(at: due)] }
        let actions: [Action] = [sent(.pingreq, now: now)]
        return withTimer(actions)
    }

    /// When the next PINGREQ is due: a keep-alive period after the last packet sent.
    public var pingDue: UInt64? {
        guard settings.sendsPings, state == .connected, let keepAlive = connectPacket?.keepAlive, keepAlive > 0 else { return nil }
        return lastSent + UInt64(keepAlive) * 1_000_000_000
    }

    /// `actions` plus a timer request for the next ping, if one is due. Build `actions` first
    /// (a send moves the due time), then call this.
    func withTimer(_ actions: [Action]) -> [Action] {
        guard let due = pingDue else { return actions }
        return actions + [.scheduleTick(at: due)]
    }
}
