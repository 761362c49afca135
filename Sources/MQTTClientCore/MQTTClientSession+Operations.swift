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
        case .subscribe(let subscriptions, let properties): return subscribe(subscriptions, properties: properties, id: id, now: now)
        case .unsubscribe(let filters, let properties): return unsubscribe(filters, properties: properties, id: id, now: now)
        case .publish(let message): return publish(message, id: id, now: now)
        case .disconnect: return disconnect(version.disconnect, id: id, now: now)
        case .disconnectWithReason(let code, let properties):
            if let refusal = version.refusal(carrying: properties, what: "the DISCONNECT") ?? (version == .v311 && code != .normalDisconnection ? "a DISCONNECT reason code needs MQTT 5.0, and the client speaks MQTT 3.1.1" : nil) {
                return [complete(id, .unsupported(reason: refusal))]
            }
            let packet = version.disconnect(code, properties: properties)
            if let refusal = refusal(toDisconnectWith: properties) ?? refusal(toSend: packet, checkingSize: false) {
                return [complete(id, .unsupported(reason: refusal))]
            }
            return disconnect(packet, id: id, now: now)
        case .reauthenticate: return reauthenticate(id: id, now: now)
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
            closedByClient = nil
            serverDisconnect = nil
        }
        return actions
    }

    // MARK: Operations

    private mutating func connect(_ options: ConnectOptions, id: OperationID, now: Int64) -> [Action] {
        if let refusal = version.refusal(carrying: options.properties, what: "the CONNECT") ?? version.refusal(carrying: options.will?.properties ?? .none, what: "the will")
            ?? refusal(toSend: version.connect(options, cleanSession: options.cleanSession, password: options.password), checkingSize: false)
        {
            // The broker's limits are not known before its CONNACK; only what cannot be encoded.
            return [complete(id, .unsupported(reason: refusal))]
        }
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

    private mutating func subscribe(_ subscriptions: [SubscribePacket.Subscription], properties: MQTTProperties, id: OperationID, now: Int64) -> [Action] {
        guard state == .connected else { return [complete(id, .connectionEnded(reason: notConnectedReason))] }
        if let refusal = version.refusal(carrying: properties, what: "the SUBSCRIBE") {
            return [complete(id, .unsupported(reason: refusal))]
        }
        if version == .v311, let option = subscriptions.first(where: { !$0.hasOnlyQoS }) {
            return [complete(id, .unsupported(reason: "the subscription to '\(option.filter.string)' asks for MQTT 5.0 subscription options (no local, retain as published, retain handling), and the client speaks MQTT 3.1.1"))]
        }
        if configuration.program != nil {
            for subscription in subscriptions where !self.subscriptions.contains(where: { $0.filter == subscription.filter }) {
                self.subscriptions.append(subscription)
            }
        }
        guard let packetID = nextPacketID() else { return [complete(id, Self.noPacketID)] }
        let packet = version.subscribe(subscriptions, properties: properties, packetID: packetID)
        if let refusal = refusal(toSend: packet) { return [complete(id, .unsupported(reason: refusal))] }
        inFlight[packetID] = .subscribe(id)
        if version == .v5 { filterCounts[packetID] = subscriptions.count }
        return withTimer([send(packet, now: now)], now: now)
    }

    private mutating func unsubscribe(_ filters: [TopicFilter], properties: MQTTProperties, id: OperationID, now: Int64) -> [Action] {
        guard state == .connected else { return [complete(id, .connectionEnded(reason: notConnectedReason))] }
        guard configuration.supportsUnsubscribe else {
            return [complete(id, .unsupported(reason: "\(configuration.name) has no unsubscribe()"))]
        }
        if let refusal = version.refusal(carrying: properties, what: "the UNSUBSCRIBE") {
            return [complete(id, .unsupported(reason: refusal))]
        }
        guard let packetID = nextPacketID() else { return [complete(id, Self.noPacketID)] }
        let packet = version.unsubscribe(filters, properties: properties, packetID: packetID)
        if let refusal = refusal(toSend: packet) { return [complete(id, .unsupported(reason: refusal))] }
        subscriptions.removeAll { filters.contains($0.filter) }
        inFlight[packetID] = .unsubscribe(id)
        if version == .v5 { filterCounts[packetID] = filters.count }
        return withTimer([send(packet, now: now)], now: now)
    }

    private mutating func publish(_ message: ApplicationMessage, id: OperationID, now: Int64) -> [Action] {
        guard state == .connected else { return [complete(id, .connectionEnded(reason: notConnectedReason))] }
        if let refusal = version.refusal(carrying: message.properties, what: "the PUBLISH") ?? refusal(toPublish: message) {
            return [complete(id, .unsupported(reason: refusal))]
        }
        switch message.qos {
        case .atMostOnce:
            let packet: MQTTPacket
            switch outgoingPublish(message, packetID: nil) {
            case .success(let checked): packet = checked
            case .failure(let refusal): return [complete(id, .unsupported(reason: refusal.reason))]
            }
            let sent = send(packet, now: now)
            return withTimer([sent, complete(id, .done)], now: now)
        case .exactlyOnce where !configuration.supportsQoS2:
            // umqtt.simple: `assert 0` for QoS 2.
            return [complete(id, .unsupported(reason: "\(configuration.name) cannot publish at QoS 2"))]
        case .atLeastOnce, .exactlyOnce:
            return sendOrQueue(message, id: id, now: now)
        }
    }

    private mutating func disconnect(_ packet: MQTTPacket, id: OperationID, now: Int64) -> [Action] {
        if configuration.program != nil {
            // The program calls disconnect() and carries on: nothing to wait for.
            switch state {
            case .connected:
                state = .idle
                renewalInProgress = false
                let ending = Outcome.connectionEnded(reason: "the device disconnected")
                return [send(packet, now: now), .closeTransport] + endInFlight(ending) + [complete(id, .done)]
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
            return [send(packet, now: now), .closeTransport] + endPending(.connectionEnded(reason: "the client disconnected"))
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
