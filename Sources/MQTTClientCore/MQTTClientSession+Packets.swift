import MQTTCore
import NIOCore

extension MQTTClientSession {
    /// A packet arrived from the broker.
    public mutating func packetReceived(_ packet: MQTTPacket, now: Int64) -> [Action] {
        lastReceived = now
        switch (state, packet) {
        case (.awaitingConnAck, .connack(let connack)):
            return connAckReceived(connack, now: now)
        case (.open, .connack(let connack)) where configuration.program == nil:
            // After a raw CONNECT, or a refused one: the broker's answer counts.
            return connAckReceived(connack, now: now)
        case (.awaitingConnAck, .auth(let auth)) where version == .v5:
            return authReceived(auth, now: now)
        case (.awaitingConnAck, .disconnect(let disconnect)) where version == .v5,
            (.open, .disconnect(let disconnect)) where version == .v5:
            return serverDisconnectReceived(disconnect, now: now)
        case (.awaitingConnAck, _) where configuration.program != nil:
            // umqtt.simple reads four bytes and asserts they are a CONNACK.
            return stop(
                reason: "AssertionError: expected CONNACK, got \(packet.type)",
                events: [],
                connectOutcome: .connectionEnded(reason: "\(packet.type) before CONNACK")
            ) + [.closeTransport]
        case (.connected, _):
            return connectedPacketReceived(packet, now: now)
        default:
            return []
        }
    }

    private mutating func connAckReceived(_ connack: ConnAckPacket, now: Int64) -> [Action] {
        if version == .v5 {
            limits.apply(connack: connack.properties)
            authentication.step = 0
        }
        if !connack.sessionPresent {
            // The broker holds no session: QoS 2 messages that waited for PUBREL are gone.
            incomingQoS2.removeAll()
        }
        if let program = configuration.program {
            return programConnAckReceived(connack, program: program, now: now)
        }
        state = connack.returnCode == .accepted ? .connected : .open
        return withTimer([.report(.connAckReceived(connack))] + endConnect(.answered(.connack(connack))), now: now)
    }

    private mutating func connectedPacketReceived(_ packet: MQTTPacket, now: Int64) -> [Action] {
        if let rule = problemInformationViolation(packet) { return violation(rule, code: .protocolError, now: now) }
        switch packet {
        case .publish(let publish):
            return received(publish, now: now)
        case .pubrel(let acknowledgement):
            let id = acknowledgement.packetID
            // Answered whether or not the id is known.
            guard configuration.supportsQoS2, configuration.acknowledgements != .none else { return withTimer([], now: now) }
            incomingQoS2.remove(id)
            return withTimer([send(version.pubcomp(id), now: now)], now: now)
        case .suback(let suback):
            return subAckReceived(suback, now: now)
        case .unsuback(let acknowledgement):
            let id = acknowledgement.packetID
            guard case .unsubscribe(let operation)? = inFlight[id] else { return withTimer([], now: now) }
            if let rule = reasonCountViolation(acknowledgement.reasonCodes.count, packetID: id, ack: .unsuback, statement: "MQTT-3.11.3-1") {
                return violation(rule, code: .protocolError, now: now)
            }
            inFlight[id] = nil
            return withTimer([complete(operation, .answered(packet))], now: now)
        case .puback(let acknowledgement):
            let id = acknowledgement.packetID
            return pubAckReceived(packet, id: id, now: now)
        case .pubrec(let acknowledgement):
            return pubRecReceived(acknowledgement, now: now)
        case .pubcomp(let acknowledgement):
            let id = acknowledgement.packetID
            guard case .publish(let operation, .awaitingPubComp)? = inFlight[id] else { return withTimer([], now: now) }
            inFlight[id] = nil
            return withTimer([complete(operation, .answered(packet))] + releaseQueuedPublishes(now: now), now: now)
        case .pingresp:
            pingSentAt = nil
            return withTimer([], now: now)
        case .connack:
            return withTimer([], now: now)
        case .disconnect(let disconnect) where version == .v5:
            return serverDisconnectReceived(disconnect, now: now)
        case .auth(let auth) where version == .v5:
            return authReceived(auth, now: now)
        case .connect, .subscribe, .unsubscribe, .pingreq, .disconnect, .auth:
            // A packet only clients send (section 2.2.1), or one of MQTT 5.0 only.
            return configuration.protocolViolations == .close ? [.closeTransport] : withTimer([], now: now)
        }
    }

    /// An application message: deliver it and acknowledge it as configured.
    private mutating func received(_ publish: PublishPacket, now: Int64) -> [Action] {
        var publish = publish
        if version == .v5 {
            switch checkedIncoming(publish, now: now) {
            case .success(let checked): publish = checked
            case .failure(let refusal): return refusal.actions
            }
        }
        if publish.qos == .exactlyOnce, !configuration.supportsQoS2 {
            guard configuration.program != nil else { return withTimer([], now: now) }
            // umqtt.simple: `assert 0` for QoS 2.
            return stop(reason: "AssertionError: QoS 2 PUBLISH", events: [], connectOutcome: nil) + [.closeTransport]
        }
        var actions: [Action] = []
        let isDuplicate = publish.qos == .exactlyOnce && publish.packetID.map { incomingQoS2.contains($0) } == true
        if !isDuplicate || configuration.deliversQoS2Duplicates {
            actions.append(.deliver(publish))
        }
        if configuration.acknowledgements == .all, let id = publish.packetID {
            switch publish.qos {
            case .atMostOnce:
                break
            case .atLeastOnce:
                actions.append(send(version.puback(id), now: now))
            case .exactlyOnce:
                incomingQoS2.insert(id)
                actions.append(send(version.pubrec(id), now: now))
            }
        } else if configuration.acknowledgements == .releasesOnly, let id = publish.packetID {
            // Left unacknowledged: counted against the client's Receive Maximum (5.0).
            unacknowledgedIncoming.insert(id)
        }
        return withTimer(actions, now: now)
    }

    private mutating func subAckReceived(_ suback: SubAckPacket, now: Int64) -> [Action] {
        guard case .subscribe(let operation)? = inFlight[suback.packetID] else {
            // A device program's client reads every SUBACK (umqtt's wait_msg); a harness-driven
            // client reports the answers to its own SUBSCRIBEs, and leaves the answer to a raw
            // one to expectations on bytes and packets.
            return withTimer(configuration.program == nil ? [] : [.report(.subAckReceived(suback))], now: now)
        }
        if let rule = reasonCountViolation(suback.reasonCodes.count, packetID: suback.packetID, ack: .suback, statement: "MQTT-3.9.3-1") {
            return violation(rule, code: .protocolError, now: now)
        }
        var actions: [Action] = [.report(.subAckReceived(suback))]
        inFlight[suback.packetID] = nil
        guard let operation else { return withTimer(actions, now: now) }
        actions.append(complete(operation, .answered(.suback(suback))))
        if configuration.program != nil, suback.returnCodes.contains(.failure) {
            // umqtt.simple: `raise MQTTException(resp[3])` on 0x80.
            return actions + stop(reason: "MQTTException(128)", events: [], connectOutcome: nil) + [.closeTransport]
        }
        return withTimer(actions, now: now)
    }

    private mutating func pubAckReceived(_ packet: MQTTPacket, id: UInt16, now: Int64) -> [Action] {
        guard case .publish(let operation, let stage)? = inFlight[id] else { return withTimer([], now: now) }
        switch stage {
        case .awaitingPubAck:
            inFlight[id] = nil
            return withTimer([complete(operation, .answered(packet))] + releaseQueuedPublishes(now: now), now: now)
        case .awaitingPubRec, .awaitingPubComp:
            // A QoS 2 PUBLISH is answered with PUBREC; PUBACK answers QoS 1.
            guard configuration.protocolViolations == .report else { return withTimer([], now: now) }
            inFlight[id] = nil
            let violation = "the broker answered the QoS 2 PUBLISH (packet id \(id)) with PUBACK instead of PUBREC [MQTT-4.3.3-2] [MQTT-3.3.4-1]"
            return withTimer([.report(.protocolViolation(violation)), complete(operation, .protocolViolation(reason: violation))] + releaseQueuedPublishes(now: now), now: now)
        }
    }

    private mutating func pubRecReceived(_ pubrec: PublishAckPacket, now: Int64) -> [Action] {
        let id = pubrec.packetID
        guard case .publish(let operation, let stage)? = inFlight[id] else { return withTimer([], now: now) }
        switch stage {
        case .awaitingPubAck:
            // A QoS 1 PUBLISH is answered with PUBACK; PUBREC answers QoS 2.
            guard configuration.protocolViolations == .report else { return withTimer([], now: now) }
            inFlight[id] = nil
            let violation = "the broker answered the QoS 1 PUBLISH (packet id \(id)) with PUBREC instead of PUBACK [MQTT-4.3.2-2] [MQTT-3.3.4-1]"
            return withTimer([.report(.protocolViolation(violation)), complete(operation, .protocolViolation(reason: violation))] + releaseQueuedPublishes(now: now), now: now)
        case .awaitingPubRec where pubrec.reasonCode.isFailure:
            // MQTT 5.0: the broker refused the message; the exchange ends here [MQTT-4.3.3-4].
            inFlight[id] = nil
            return withTimer([complete(operation, .answered(.pubrec(pubrec)))] + releaseQueuedPublishes(now: now), now: now)
        case .awaitingPubRec, .awaitingPubComp:
            // A repeated PUBREC is answered again.
            inFlight[id] = .publish(operation, .awaitingPubComp)
            return withTimer([send(version.pubrel(id), now: now)], now: now)
        }
    }
}
