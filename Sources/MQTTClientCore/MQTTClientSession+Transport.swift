import MQTTCore
import NIOCore

extension MQTTClientSession {
    /// The network connection is up: send CONNECT, or the raw write that asked for it.
    public mutating func transportConnected(now: Int64) -> [Action] {
        guard case .opening(let opening) = state else { return [] }
        switch opening {
        case .forWrite(let raw, let operation):
            state = .open
            lastSent = now
            return [.report(.transportConnected)] + (raw.map { write($0, now: now) } ?? []) + [complete(operation, .done)]
        case .forConnect:
            guard let connect = sendConnect(now: now) else { return [] }
            return [.report(.transportConnected), connect]
        }
    }

    /// The network connection could not be opened.
    public mutating func transportFailed(reason: String, now: Int64) -> [Action] {
        guard case .opening(let opening) = state else { return [] }
        if let program = configuration.program {
            return programTransportFailed(reason: reason, program: program, now: now)
        }
        state = .idle
        var actions: [Action] = [.report(.transportFailed(reason: reason))]
        if case .forWrite(_, let operation) = opening { actions.append(complete(operation, .connectionEnded(reason: reason))) }
        return actions + endPending(.connectionEnded(reason: reason))
    }

    /// Why an operation failed whose connection the broker closed before CONNACK, and what to
    /// check: most often plain MQTT sent to a TLS port, or the reverse.
    public static let closedBeforeConnAck = "the broker closed the connection before CONNACK: is it its MQTT port, with TLS (mqtts://) where it wants TLS?"

    /// The network connection closed (by either side).
    public mutating func transportClosed(now: Int64) -> [Action] {
        if let program = configuration.program {
            return programTransportClosed(program: program, now: now)
        }
        let reason: String
        var outcomeReason: String?
        switch state {
        case .closing:
            reason = "the client disconnected"
        case .awaitingConnAck:
            reason = "the broker closed the connection"
            outcomeReason = Self.closedBeforeConnAck
        case .connected, .open:
            reason = "the broker closed the connection"
        case .idle, .opening, .fetchingToken, .closingToRenew, .waitingToReconnect, .stopped:
            return []
        }
        state = .idle
        var actions: [Action]
        if let violation = closedForViolation {
            // The client closed it because the broker broke the protocol: say that, not "the
            // broker closed the connection".
            closedForViolation = nil
            let reason = "the client closed the connection because \(violation)"
            actions = [.report(.disconnected(reason: reason))] + endPending(.protocolViolation(reason: violation))
        } else if let own = closedByClient {
            closedByClient = nil
            let reason = "the client closed the connection because \(own)"
            actions = [.report(.disconnected(reason: reason))] + endPending(.connectionEnded(reason: reason))
        } else if let disconnect = serverDisconnect {
            // MQTT 5.0: the broker said why.
            let reason = Self.describe(disconnect)
            actions = [.report(.disconnected(reason: reason))] + endPending(.connectionEnded(reason: reason))
        } else {
            actions = [.report(.disconnected(reason: reason))] + endPending(.connectionEnded(reason: outcomeReason ?? reason))
        }
        serverDisconnect = nil
        for operation in disconnectOperations { actions.append(complete(operation, .done)) }
        disconnectOperations = []
        return actions
    }

    /// The broker sent bytes that are not a well-formed MQTT packet (`description` says what
    /// and the rule, for example a SUBACK return code 0x8F [MQTT-3.9.3-2]). With
    /// ``ProtocolViolationPolicy/report`` the client reports it and closes the connection
    /// [MQTT-4.8.0-1].
    /// In MQTT 5.0 the client first sends DISCONNECT with Malformed Packet (0x81), or Packet
    /// too large (0x95) when `tooLarge` (the packet was above the client's Maximum Packet Size,
    /// section 4.13).
    public mutating func malformedPacketReceived(_ description: String, tooLarge: Bool = false, now: Int64) -> [Action] {
        guard configuration.protocolViolations == .report, isTransportOpen, closedForViolation == nil else { return [] }
        let violation = "the broker sent a malformed packet: \(description)"
        guard version == .v5 else {
            closedForViolation = violation
            return [.report(.protocolViolation(violation)), .closeTransport]
        }
        return self.violation(violation, code: tooLarge ? .packetTooLarge : .malformedPacket, now: now)
    }
}
