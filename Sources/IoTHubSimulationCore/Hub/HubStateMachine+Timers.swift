import IoTHubCore
import MQTTCore

extension HubStateMachine {
    /// The clock reached (or jumped past) a deadline: start and end hub faults whose time has
    /// come, drop connections whose token expired or that were silent past the keep-alive
    /// timeout, drop connections that never sent CONNECT, and dead-letter expired C2D messages. Closes happen without a packet, as on IoT Hub.
    public mutating func tick(at now: HubTime) -> [Action] {
        var actions: [Action] = []
        advanceFaults(at: now, actions: &actions)
        for (id, connection) in connections.sorted(by: { $0.key < $1.key }) {
            switch connection.phase {
            case .awaitingConnect(let openedAt):
                if now - openedAt >= configuration.connectTimeout {
                    end(id, reason: .protocolViolation("no CONNECT within \(configuration.connectTimeout)"), at: now, actions: &actions)
                }
            case .connected, .provisioning:
                if let drop = connection.tokenDropTime, now >= drop {
                    end(id, reason: .tokenExpired, at: now, actions: &actions)
                } else if now - connection.lastActivity >= connection.keepAliveTimeout {
                    end(id, reason: .keepAliveTimeout(connection.keepAliveTimeout), at: now, actions: &actions)
                }
            }
        }
        for deviceID in sessions.keys.sorted() {
            guard var session = sessions[deviceID] else { continue }
            let expired = session.queue.filter { $0.expiresAt <= now }
            guard !expired.isEmpty else { continue }
            session.queue.removeAll { $0.expiresAt <= now }
            sessions[deviceID] = session
            for message in expired {
                actions.append(.emit(.cloudToDeviceDeadLettered(deviceID, messageID: message.messageID, reason: "expired")))
            }
        }
        expireMethods(at: now, actions: &actions)
        if let next = nextDeadline() { actions.append(.wakeUp(at: next)) }
        return actions
    }

    /// The earliest time at which ``tick(at:)`` has something to do.
    public func nextDeadline() -> HubTime? {
        var earliest: HubTime?
        func consider(_ time: HubTime) {
            if earliest.map({ time < $0 }) ?? true { earliest = time }
        }
        for connection in connections.values {
            switch connection.phase {
            case .awaitingConnect(let openedAt):
                consider(openedAt + configuration.connectTimeout)
            case .connected, .provisioning:
                consider(connection.lastActivity + connection.keepAliveTimeout)
                if let drop = connection.tokenDropTime { consider(drop) }
            }
        }
        for session in sessions.values {
            for message in session.queue { consider(message.expiresAt) }
        }
        for pending in methods.values { consider(pending.state.deadline) }
        if let fault = nextFaultDeadline() { consider(fault) }
        return earliest
    }
}
