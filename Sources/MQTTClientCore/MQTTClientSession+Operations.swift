import MQTTCore
import NIOCore

extension MQTTClientSession {
    /// Starts `operation`; its outcome comes later (or at once) as
    /// ``Action/complete(_:_:)`` with `id`.
    ///
    /// Without ``MQTTClientConfiguration/allowsConcurrentOperations`` a second operation of a
    /// kind that is still waiting is refused at once.
    /// - Precondition: no operation with `id` is waiting.
    public mutating func start(_ operation: Operation, id: OperationID, now: Int64) -> [Action] {
        precondition(operations[id] == nil, "operation \(id) is already waiting; identifiers must be unique")
        if !configuration.allowsConcurrentOperations, operations.values.contains(operation.kind) {
            return [.complete(id, .connectionEnded(reason: "\(operation.kind) is already in progress"))]
        }
        operations[id] = operation.kind
        switch operation {
        case .connect(let options): return connect(options, id: id, now: now)
        case .subscribe(let subscriptions): return subscribe(subscriptions, id: id, now: now)
        case .unsubscribe(let filters): return unsubscribe(filters, id: id, now: now)
        case .publish(let message): return publish(message, id: id, now: now)
        case .disconnect: return disconnect(id: id, now: now)
        case .open: return open(writing: nil, id: id, now: now)
        case .write(let raw): return open(writing: raw, id: id, now: now)
        }
    }

    /// The device loses power, or the harness drops the connection without DISCONNECT (so the
    /// broker publishes the will): every waiting operation ends. A device program starts
    /// again from the beginning (not connected, packet identifiers from 1, no timers, no
    /// token); a harness-driven client keeps counting packet identifiers.
    public mutating func restart(now: Int64) -> [Action] {
        let wasOpen = isTransportOpen
        let ending = Outcome.connectionEnded(reason: "the device restarted")
        var actions: [Action] = [.report(.restarted)] + endPending(ending)
        if case .opening(.forWrite(_, let operation)) = state { actions.append(complete(operation, ending)) }
        for operation in disconnectOperations { actions.append(complete(operation, .done)) }
        disconnectOperations = []
        if wasOpen { actions.append(.closeTransport) }
        if configuration.program != nil {
            self = MQTTClientSession(configuration: configuration)
        } else {
            state = .idle
            closedForViolation = nil
        }
        return actions
    }

    // MARK: Operations

    private mutating func connect(_ options: ConnectOptions, id: OperationID, now: Int64) -> [Action] {
        if configuration.program != nil {
            switch state {
            case .idle:
                self.options = options
                connectOperation = id
                isReconnect = false
                reconnectAttempt = 0
                return beginAttempt(now: now, freshToken: true)
            case .stopped(let reason):
                return [complete(id, .connectionEnded(reason: "the device's program has stopped: \(reason)"))]
            default:
                return [complete(id, .connectionEnded(reason: "the device is already connected or connecting"))]
            }
        }
        switch state {
        case .idle:
            self.options = options
            connectOperation = id
            state = .opening(.forConnect)
            return [.openTransport]
        case .open:
            // Raw writes opened the transport: CONNECT goes out on it.
            self.options = options
            connectOperation = id
            return sendConnect(now: now).map { [$0] } ?? []
        default:
            return [complete(id, .connectionEnded(reason: "the client is already connected or connecting"))]
        }
    }

    private mutating func subscribe(_ subscriptions: [SubscribePacket.Subscription], id: OperationID, now: Int64) -> [Action] {
        guard state == .connected else { return [complete(id, .connectionEnded(reason: notConnectedReason))] }
        if configuration.program != nil {
            for subscription in subscriptions where !self.subscriptions.contains(where: { $0.filter == subscription.filter }) {
                self.subscriptions.append(subscription)
            }
        }
        guard let packetID = nextPacketID() else { return [complete(id, Self.noPacketID)] }
        inFlight[packetID] = .subscribe(id)
        return withTimer([send(version.subscribe(subscriptions, packetID: packetID), now: now)], now: now)
    }

    private mutating func unsubscribe(_ filters: [TopicFilter], id: OperationID, now: Int64) -> [Action] {
        guard state == .connected else { return [complete(id, .connectionEnded(reason: notConnectedReason))] }
        guard configuration.supportsUnsubscribe else {
            return [complete(id, .unsupported(reason: "\(configuration.name) has no unsubscribe()"))]
        }
        subscriptions.removeAll { filters.contains($0.filter) }
        guard let packetID = nextPacketID() else { return [complete(id, Self.noPacketID)] }
        inFlight[packetID] = .unsubscribe(id)
        return withTimer([send(version.unsubscribe(filters, packetID: packetID), now: now)], now: now)
    }

    private mutating func publish(_ message: ApplicationMessage, id: OperationID, now: Int64) -> [Action] {
        guard state == .connected else { return [complete(id, .connectionEnded(reason: notConnectedReason))] }
        switch message.qos {
        case .atMostOnce:
            let sent = send(version.publish(message, packetID: nil), now: now)
            return withTimer([sent, complete(id, .done)], now: now)
        case .exactlyOnce where !configuration.supportsQoS2:
            // umqtt.simple: `assert 0` for QoS 2.
            return [complete(id, .unsupported(reason: "\(configuration.name) cannot publish at QoS 2"))]
        case .atLeastOnce, .exactlyOnce:
            guard let packetID = nextPacketID() else { return [complete(id, Self.noPacketID)] }
            inFlight[packetID] = .publish(id, message.qos == .atLeastOnce ? .awaitingPubAck : .awaitingPubRec)
            return withTimer([send(version.publish(message, packetID: packetID), now: now)], now: now)
        }
    }

    private mutating func disconnect(id: OperationID, now: Int64) -> [Action] {
        if configuration.program != nil {
            // The program calls disconnect() and carries on: nothing to wait for.
            switch state {
            case .connected:
                state = .idle
                renewalInProgress = false
                let ending = Outcome.connectionEnded(reason: "the device disconnected")
                return [send(version.disconnect, now: now), .closeTransport] + endInFlight(ending) + [complete(id, .done)]
            default:
                if case .waitingToReconnect = state { state = .idle }
                return [complete(id, .done)]
            }
        }
        switch state {
        case .awaitingConnAck, .connected, .open:
            // Done once the connection has closed, so a connect right after it never finds
            // the old connection still closing.
            state = .closing
            disconnectOperations.append(id)
            return [send(version.disconnect, now: now), .closeTransport] + endPending(.connectionEnded(reason: "the client disconnected"))
        case .closing:
            disconnectOperations.append(id)
            return []
        case .opening:
            return [complete(id, .connectionEnded(reason: "the connection is still opening"))]
        case .idle, .fetchingToken, .closingToRenew, .waitingToReconnect, .stopped:
            return [complete(id, .done)]
        }
    }

    /// Opens the transport for a raw write (or none), or writes at once when it is open.
    private mutating func open(writing raw: RawWrite?, id: OperationID, now: Int64) -> [Action] {
        guard configuration.program == nil else {
            return [complete(id, .unsupported(reason: "\(configuration.name) cannot write raw bytes"))]
        }
        switch state {
        case .idle:
            state = .opening(.forWrite(raw, operation: id))
            return [.openTransport]
        case .awaitingConnAck, .connected, .open:
            return (raw.map { write($0, now: now) } ?? []) + [complete(id, .done)]
        case .opening, .closing, .fetchingToken, .closingToRenew, .waitingToReconnect, .stopped:
            return [complete(id, .connectionEnded(reason: "the connection is opening or closing"))]
        }
    }

    /// The actions that put `raw` on the open connection.
    mutating func write(_ raw: RawWrite, now: Int64) -> [Action] {
        switch raw {
        case .bytes(let bytes):
            lastSent = now
            return [.sendBytes(bytes), .report(.bytesSent(bytes))]
        case .packet(let packet):
            return [send(packet, now: now)]
        }
    }

    static let noPacketID = Outcome.unsupported(reason: "all 65,535 packet identifiers are in flight")
}
