import MQTTCore
import NIOCore

/// The device program around the client (``ProgramPolicy``): tokens, reconnects, renewal,
/// and the errors that stop it.
extension MQTTClientSession {
    /// The token source answered.
    public mutating func tokenReceived(_ token: ClientToken, now: Int64) -> [Action] {
        switch state {
        case .fetchingToken:
            self.token = token
            state = .opening(.forConnect)
            return [.openTransport]
        case .connected where renewalInProgress:
            guard let old = self.token?.expiry, let new = token.expiry, new > old else {
                renewalInProgress = false
                renewalAbandonedFor = self.token?.expiry
                return withTimer([.report(.tokenFailed(reason: "the token source gave no newer token; keeping the current one"))], now: now)
            }
            self.token = token
            renewalInProgress = false
            state = .closingToRenew
            return [.report(.renewingToken), send(version.disconnect, now: now), .closeTransport]
        default:
            return []
        }
    }

    /// The token source failed.
    public mutating func tokenFailed(reason: String, now: Int64) -> [Action] {
        switch state {
        case .fetchingToken:
            if isReconnect {
                // The application's reconnect loop treats it like a network error and retries.
                return scheduleRetry(now: now, events: [.tokenFailed(reason: reason)])
            }
            state = .idle
            return [.report(.tokenFailed(reason: reason))] + endConnect(.connectionEnded(reason: "no token: \(reason)"))
        case .connected where renewalInProgress:
            renewalInProgress = false
            renewalAbandonedFor = token?.expiry
            return withTimer([.report(.tokenFailed(reason: reason))], now: now)
        default:
            return []
        }
    }

    /// When the token must be renewed, for programs that renew.
    var renewalDue: Int64? {
        guard let margin = configuration.program?.tokens?.renewalMargin, !renewalInProgress,
            let expiry = token?.expiry, renewalAbandonedFor != expiry
        else { return nil }
        return expiry.saturatingMultiplied(by: 1_000_000_000).saturatingSubtracting(margin.nanoseconds)
    }

    /// Starts one connection attempt: asks for a token when needed, else opens the transport.
    mutating func beginAttempt(now: Int64, freshToken: Bool) -> [Action] {
        if configuration.program?.tokens != nil, freshToken || token == nil {
            state = .fetchingToken
            return [.fetchToken]
        }
        state = .opening(.forConnect)
        return [.openTransport]
    }

    mutating func programTransportFailed(reason: String, program: ProgramPolicy, now: Int64) -> [Action] {
        if isReconnect {
            return scheduleRetry(now: now, events: [.transportFailed(reason: reason)])
        }
        if program.errorsStopProgram {
            // umqtt: `sock.connect` raises OSError out of the program.
            return stop(reason: "OSError: \(reason)", events: [.transportFailed(reason: reason)], connectOutcome: .connectionEnded(reason: reason))
        }
        state = .idle
        return [.report(.transportFailed(reason: reason))] + endConnect(.connectionEnded(reason: reason))
    }

    mutating func programConnAckReceived(_ connack: ConnAckPacket, program: ProgramPolicy, now: Int64) -> [Action] {
        let answered = Outcome.answered(.connack(connack))
        guard connack.returnCode == .accepted else {
            if program.errorsStopProgram {
                // umqtt.simple: `raise MQTTException(resp[3])`; umqtt.robust lets it escape.
                let exception = "MQTTException(\(connack.returnCode.rawValue))"
                return stop(reason: exception, events: [.connAckReceived(connack)], connectOutcome: answered) + [.closeTransport]
            }
            if isReconnect, connack.returnCode == .serverUnavailable {
                // The Python SDK maps CONNACK 3 to ConnectionFailedError, a transient error its
                // reconnect stage retries; 1, 2, 4 and 5 are not, and end its retrying.
                let events: [Event] = [.connAckReceived(connack), .disconnected(reason: "reconnect refused with CONNACK 3 (server unavailable); the client retries")]
                return scheduleRetry(now: now, events: events) + [.closeTransport]
            }
            // The SDK reports the refusal to the application and stops retrying.
            state = .idle
            var actions: [Action] = [.report(.connAckReceived(connack))]
            if isReconnect {
                actions.append(.report(.disconnected(reason: "reconnect refused with CONNACK \(connack.returnCode.rawValue); the client stops retrying")))
            }
            return actions + endConnect(answered) + [.closeTransport]
        }
        state = .connected
        reconnectAttempt = 0
        pingSentAt = nil
        var actions: [Action] = [.report(.connAckReceived(connack))] + endConnect(answered)
        if isReconnect, program.resubscribesAfterReconnect, !subscriptions.isEmpty, let packetID = nextPacketID() {
            inFlight[packetID] = .subscribe(nil)
            actions.append(send(version.subscribe(subscriptions, properties: .none, packetID: packetID), now: now))
        }
        return withTimer(actions, now: now)
    }

    mutating func programTransportClosed(program: ProgramPolicy, now: Int64) -> [Action] {
        switch state {
        case .idle, .stopped:
            return [.report(.disconnected(reason: "connection closed"))]
        case .closingToRenew:
            isReconnect = true
            state = .opening(.forConnect)
            return [.report(.disconnected(reason: "closed to renew the token")), .openTransport]
        case .waitingToReconnect(let until):
            // The close of a refused attempt ends the driver's timer with the connection: the
            // retry is armed again.
            return [.scheduleTick(at: until)]
        case .fetchingToken:
            return []
        case .opening, .awaitingConnAck, .connected, .open, .closing:
            return connectionDropped(program: program, now: now)
        }
    }

    private mutating func connectionDropped(program: ProgramPolicy, now: Int64) -> [Action] {
        let beforeConnAck: Bool
        switch state {
        case .awaitingConnAck, .opening: beforeConnAck = true
        default: beforeConnAck = false
        }
        let ending = Outcome.connectionEnded(reason: beforeConnAck ? Self.closedBeforeConnAck : "the connection closed")
        switch program.reconnect {
        case .never:
            let events: [Event] = [
                .disconnected(reason: "connection closed by the broker"),
                .stopped(reason: "OSError: -1 (connection closed in wait_msg)"),
            ]
            return stop(reason: "OSError: -1", events: events, connectOutcome: ending, reportsStop: false)
        case .cleanSessionZero(let firstDelay, _):
            if beforeConnAck && program.errorsStopProgram {
                // umqtt.simple 1.3.4 reads CONNACK with `sock.read(4)`; an empty read makes
                // `resp[0]` raise IndexError, which umqtt.robust does not catch.
                let reason = "IndexError: index out of range (connection closed before CONNACK)"
                return stop(reason: reason, events: [.disconnected(reason: "connection closed before CONNACK")], connectOutcome: ending) + [.closeTransport]
            }
            if beforeConnAck && isReconnect {
                return scheduleRetry(now: now, events: [.disconnected(reason: "connection closed before CONNACK")])
            }
            let actions: [Action] = [.report(.disconnected(reason: "connection closed by the broker"))] + endPending(ending)
            renewalInProgress = false
            isReconnect = true
            reconnectAttempt = 1
            let until = now + firstDelay.nanoseconds
            state = .waitingToReconnect(until: until)
            if firstDelay <= .zero { return actions + startReconnect(now: now) }
            return actions + [.scheduleTick(at: until)]
        }
    }

    /// Starts a reconnect attempt now.
    mutating func startReconnect(now: Int64) -> [Action] {
        let attempt = reconnectAttempt
        isReconnect = true
        // umqtt.robust asks the application for the password on every attempt; the SDK
        // keeps its token until its renewal time has come.
        let freshToken: Bool
        if let margin = configuration.program?.tokens?.renewalMargin {
            freshToken = token?.expiry.map { now >= $0.saturatingMultiplied(by: 1_000_000_000).saturatingSubtracting(margin.nanoseconds) } ?? false
        } else {
            freshToken = true
        }
        return [.report(.reconnecting(attempt: attempt))] + beginAttempt(now: now, freshToken: freshToken)
    }

    /// A reconnect attempt failed at the network level: wait, then try again.
    mutating func scheduleRetry(now: Int64, events: [Event]) -> [Action] {
        guard case .cleanSessionZero(_, let retryDelay) = configuration.program?.reconnect else {
            state = .idle
            return events.map(Action.report)
        }
        reconnectAttempt += 1
        let until = now + retryDelay.nanoseconds
        state = .waitingToReconnect(until: until)
        return events.map(Action.report) + [.scheduleTick(at: until)]
    }

    /// Stops the program: reports `events`, then the stop (unless `reportsStop` is false),
    /// and ends every waiting operation (the connect one with `connectOutcome`).
    mutating func stop(reason: String, events: [Event], connectOutcome: Outcome?, reportsStop: Bool = true) -> [Action] {
        state = .stopped(reason: reason)
        var actions = events.map(Action.report)
        if reportsStop { actions.append(.report(.stopped(reason: reason))) }
        let ending = Outcome.connectionEnded(reason: reason)
        return actions + endConnect(connectOutcome ?? ending) + endInFlight(ending)
    }
}
