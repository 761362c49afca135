import MQTTCore

extension ClientStateMachine {
    /// The time asked for with ``Action/scheduleTick(at:)`` has come (or any later time):
    /// reconnect, ping, detect a missing PINGRESP or renew the token, whichever is due.
    public mutating func tick(now: Int64) -> [Action] {
        switch state {
        case .waitingToReconnect(let until):
            guard now >= until else { return [.scheduleTick(at: until)] }
            return startReconnect(now: now)
        case .connected:
            var actions: [Action] = []
            if let due = pingDue, now >= due {
                if profile.detectsMissingPingResponse, pingSentAt != nil {
                    // Paho: a second keep-alive period passed without PINGRESP.
                    return [.report(.disconnected(reason: "no PINGRESP within the keep-alive of \(keepAlive)s")), .closeTransport]
                }
                actions.append(sent(.pingreq, now: now))
                if profile.detectsMissingPingResponse {
                    pingSentAt = now
                    lastReceived = now
                }
            }
            if let due = renewalDue, now >= due {
                renewalInProgress = true
                actions.append(.fetchToken)
            }
            return withTimer(actions, now: now)
        case .idle, .fetchingToken, .openingTransport, .awaitingConnAck, .closingToRenew, .stopped:
            return []
        }
    }

    /// The earliest time at which ``tick(now:)`` has something to do.
    public var nextDeadline: Int64? {
        switch state {
        case .waitingToReconnect(let until):
            return until
        case .connected:
            return [pingDue, renewalDue].compactMap { $0 }.min()
        default:
            return nil
        }
    }

    /// When the next PINGREQ is due (or, with one outstanding, when its answer is overdue).
    var pingDue: Int64? {
        guard sendsPings, keepAlive > 0 else { return nil }
        let period = Int64(keepAlive) * 1_000_000_000
        if profile.detectsMissingPingResponse {
            // Paho: after keep-alive without traffic in either direction.
            return min(lastSent, lastReceived) + period
        }
        // umqtt: the application calls ping() every keep-alive period.
        return lastSent + period
    }

    /// When the token must be renewed, for profiles that renew.
    var renewalDue: Int64? {
        guard let margin = renewalMargin, settings.usesTokenSource, !renewalInProgress,
            let expiry = token?.expiry, renewalAbandonedFor != expiry
        else { return nil }
        return expiry * 1_000_000_000 - margin.nanoseconds
    }

    /// Appends a ``Action/scheduleTick(at:)`` for the next deadline, if there is one.
    func withTimer(_ actions: [Action], now: Int64) -> [Action] {
        guard let deadline = nextDeadline else { return actions }
        return actions + [.scheduleTick(at: deadline)]
    }

    /// Starts a reconnect attempt now.
    mutating func startReconnect(now: Int64) -> [Action] {
        let attempt = reconnectAttempt
        isReconnect = true
        // umqtt.robust asks the application for the password on every attempt; the SDK
        // keeps its token until its renewal time has come.
        let freshToken: Bool
        if profile.renewalMargin != nil, let expiry = token?.expiry, let margin = renewalMargin {
            freshToken = now >= expiry * 1_000_000_000 - margin.nanoseconds
        } else {
            freshToken = profile.renewalMargin == nil
        }
        return [.report(.reconnecting(attempt: attempt))] + beginAttempt(now: now, freshToken: freshToken)
    }

    /// A reconnect attempt failed at the network level: wait, then try again.
    mutating func scheduleRetry(now: Int64, events: [DeviceEvent]) -> [Action] {
        guard case .cleanSessionZero(_, let retryDelay, _) = profile.reconnectPolicy else {
            state = .idle
            return events.map(Action.report)
        }
        reconnectAttempt += 1
        let until = now + retryDelay.nanoseconds
        state = .waitingToReconnect(until: until)
        return events.map(Action.report) + [.scheduleTick(at: until)]
    }
}
