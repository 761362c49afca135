import MQTTCore

extension MQTTClientSession {
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
                switch configuration.keepAlive {
                case .afterSilence:
                    if pingSentAt != nil {
                        // Paho: a second keep-alive period passed without PINGRESP.
                        return [.report(.disconnected(reason: "no PINGRESP within the keep-alive of \(keepAlive)s")), .closeTransport]
                    }
                    actions.append(send(version.pingreq, now: now))
                    pingSentAt = now
                    lastReceived = now
                case .every:
                    actions.append(send(version.pingreq, now: now))
                    lastPing = now
                case .afterLastSent, .off:
                    actions.append(send(version.pingreq, now: now))
                }
            }
            if let due = renewalDue, now >= due {
                renewalInProgress = true
                actions.append(.fetchToken)
            }
            return withTimer(actions, now: now)
        case .idle, .fetchingToken, .opening, .awaitingConnAck, .open, .closing, .closingToRenew, .stopped:
            return []
        }
    }

    /// The earliest time at which ``tick(now:)`` has something to do.
    public var nextDeadline: Int64? {
        switch state {
        case .waitingToReconnect(let until):
            return until
        case .connected:
            switch (pingDue, renewalDue) {
            case (let ping?, let renewal?): return min(ping, renewal)
            case (let ping?, nil): return ping
            case (nil, let renewal?): return renewal
            case (nil, nil): return nil
            }
        default:
            return nil
        }
    }

    /// When the next PINGREQ is due (or, with one outstanding under
    /// ``KeepAlivePolicy/afterSilence``, when its answer is overdue).
    var pingDue: Int64? {
        guard keepAlive > 0 else { return nil }
        let period = Int64(keepAlive) * 1_000_000_000
        switch configuration.keepAlive {
        case .off:
            return nil
        case .afterLastSent:
            // umqtt: the application calls ping() every keep-alive period.
            return lastSent + period
        case .afterSilence:
            // Paho: after keep-alive without traffic in either direction.
            return min(lastSent, lastReceived) + period
        case .every(let interval):
            return lastPing + interval.nanoseconds
        }
    }

    /// `actions` plus a timer request for the next deadline, if there is one. Build `actions`
    /// first (a send moves the deadline), then call this.
    func withTimer(_ actions: [Action], now: Int64) -> [Action] {
        guard let deadline = nextDeadline else { return actions }
        return actions + [.scheduleTick(at: deadline)]
    }
}
