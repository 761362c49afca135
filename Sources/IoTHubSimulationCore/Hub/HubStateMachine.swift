import IoTHubCore
import MQTTCore
import NIOCore

/// The simulated hub's whole protocol logic as a pure state machine: every event (a packet, a
/// connection opening or closing, a C2D submission, the clock reaching a deadline) goes in
/// with the hub time it happened at, and the machine returns the ``Action``s to carry out.
/// It opens no sockets and reads no clock, so every rule is testable without a network.
public struct HubStateMachine: Sendable {
    /// What the driver must do.
    public enum Action: Sendable, Hashable {
        /// Write `packet` on connection `to`.
        case send(MQTTPacket, to: ConnectionID)
        /// Close connection `connection` without sending anything more.
        case close(ConnectionID)
        /// Reset connection `connection` (TCP RST) without sending anything more: the fault
        /// injection `KillTcp`.
        case reset(ConnectionID)
        /// Report an event to observers.
        case emit(HubEvent)
        /// Call ``tick(at:)`` no later than this time.
        case wakeUp(at: HubTime)
        /// A direct method call (started with ``invokeMethod(_:on:invocation:at:)``) ended.
        case completeMethod(UInt64, result: DirectMethodResult)
    }

    struct Connection: Sendable {
        enum Phase: Sendable {
            case awaitingConnect(openedAt: HubTime)
            case connected(DeviceID)
            /// Connected to the Device Provisioning Service (``ProvisioningSession``).
            case provisioning
        }

        var phase: Phase
        var lastActivity: HubTime
        var keepAliveTimeout: Duration = .zero
        /// When the hub drops the connection for its token (``TokenExpiryPolicy/dropTime(expiry:)``).
        var tokenDropTime: HubTime?
        /// The token's own expiry (`se`).
        var tokenExpiry: HubTime?
        var will: ConnectPacket.Will?
        var cleanSession = true
        /// The client certificate chain its TLS handshake presented, if any.
        var clientCertificate: ClientCertificateChain?
        /// The DPS side of a connection in phase `provisioning`.
        var provisioning: ProvisioningSession?

        var deviceID: DeviceID? {
            if case .connected(let id) = phase { return id }
            return nil
        }
    }

    public let configuration: HubConfiguration
    public internal(set) var registry: DeviceRegistry
    var connections: [ConnectionID: Connection] = [:]
    var sessions: [DeviceID: DeviceSession] = [:]
    var twins: [DeviceID: DeviceTwin] = [:]
    var methods: [UInt64: PendingMethod] = [:]
    var lastMethodRequestNumber: UInt64 = 0
    /// Connections that have not had their CONNECT accepted (phase `awaitingConnect`), oldest
    /// first.
    var pending = PendingConnections()
    /// Hub faults in force or waiting for their delay, in the order they were started.
    var faults: [ScheduledFault] = []
    /// The Device Provisioning Service on the hub's listener, when configured.
    public internal(set) var provisioning: ProvisioningService?

    /// How many connections have not had their CONNECT accepted.
    public var pendingConnectionCount: Int { pending.count }

    public init(configuration: HubConfiguration, registry: DeviceRegistry = DeviceRegistry()) {
        self.configuration = configuration
        self.registry = registry
        self.provisioning = configuration.provisioning.map {
            ProvisioningService(configuration: $0, assignedHub: configuration.hostName)
        }
    }

    // MARK: Registry

    /// Adds or replaces a device identity.
    public mutating func register(_ device: DeviceRecord) {
        registry.upsert(device)
    }

    /// Adds or replaces a shared access policy.
    public mutating func register(_ policy: AccessPolicy) {
        registry.upsert(policy)
    }

    /// Whether `deviceID` has a live, authenticated connection.
    public func isConnected(_ deviceID: DeviceID) -> Bool {
        sessions[deviceID]?.connection != nil
    }

    /// Messages waiting in (or locked in) the device's C2D queue.
    public func queueDepth(of deviceID: DeviceID) -> Int {
        sessions[deviceID]?.queue.count ?? 0
    }

    // MARK: Connection life cycle

    /// A network connection was accepted. When ``HubConfiguration/maximumPendingConnections``
    /// connections are already waiting for their CONNECT to be accepted, the one that has
    /// waited longest makes room if it has waited at least
    /// ``HubConfiguration/pendingEvictionAge`` (so idle connections cannot lock devices out
    /// until their CONNECT timeout); otherwise the new connection is closed at once.
    public mutating func connectionOpened(_ connection: ConnectionID, at now: HubTime) -> [Action] {
        var actions: [Action] = []
        advanceFaults(at: now, actions: &actions)
        guard admitConnection(connection, at: now, actions: &actions) else { return actions }
        let limit = configuration.maximumPendingConnections
        if pending.count >= limit {
            guard let oldest = pending.oldest(), now - oldest.openedAt >= configuration.pendingEvictionAge else {
                return actions + [
                    .close(connection),
                    .emit(.disconnected(nil, connection: connection, reason: .tooManyPendingConnections(limit: limit))),
                ]
            }
            end(oldest.connection, reason: .evictedWhilePending(limit: limit, waited: now - oldest.openedAt), at: now, actions: &actions)
        }
        connections[connection] = Connection(phase: .awaitingConnect(openedAt: now), lastActivity: now)
        pending.insert(connection, openedAt: now)
        actions.append(.wakeUp(at: now + configuration.connectTimeout))
        return actions
    }

    /// The connection's TLS handshake presented a client certificate chain (leaf first, DER),
    /// which its CONNECT is judged by when the device is registered for X.509. A chain that
    /// cannot be parsed is kept as none: such a device is then refused at CONNECT.
    public mutating func clientCertificatePresented(_ chain: [[UInt8]], on connection: ConnectionID) {
        guard var state = connections[connection], case .awaitingConnect = state.phase else { return }
        state.clientCertificate = try? ClientCertificateChain(der: chain)
        connections[connection] = state
    }

    /// The connection's TLS handshake failed; `reason` says why in the hub's words (the TLS
    /// profile's refusal, or the client's alert). The connection is ended and reported.
    public mutating func tlsFailed(_ connection: ConnectionID, reason: String, at now: HubTime) -> [Action] {
        guard connections[connection] != nil else { return [] }
        var actions: [Action] = []
        end(connection, reason: .tlsRefused(reason), at: now, actions: &actions)
        return actions
    }

    /// The connection's WebSocket transport failed: its HTTP upgrade was refused, or a frame
    /// broke MQTT over WebSockets; `reason` says why. The connection is ended and reported.
    public mutating func webSocketFailed(_ connection: ConnectionID, reason: String, at now: HubTime) -> [Action] {
        guard connections[connection] != nil else { return [] }
        var actions: [Action] = []
        end(connection, reason: .webSocketRefused(reason), at: now, actions: &actions)
        return actions
    }

    /// The network connection closed (by the peer, or after a ``Action/close(_:)``).
    public mutating func connectionClosed(_ connection: ConnectionID, at now: HubTime) -> [Action] {
        guard connections[connection] != nil else { return [] }
        var actions: [Action] = []
        end(connection, reason: .connectionLost, at: now, actions: &actions, closeSocket: false)
        return actions
    }

    /// Bytes from the connection could not be decoded: the hub closes it.
    public mutating func malformedInput(_ error: MQTTDecodingError, on connection: ConnectionID, at now: HubTime) -> [Action] {
        guard connections[connection] != nil else { return [] }
        var actions: [Action] = []
        end(connection, reason: .protocolViolation("\(error)"), at: now, actions: &actions)
        return actions
    }

    /// A whole packet arrived on `connection`.
    public mutating func packetReceived(_ packet: MQTTPacket, on connection: ConnectionID, at now: HubTime) -> [Action] {
        guard var state = connections[connection] else { return [] }
        state.lastActivity = now
        connections[connection] = state
        var actions: [Action] = []
        advanceFaults(at: now, actions: &actions)
        // A fault that just started may have dropped this very connection.
        guard connections[connection] != nil else { return actions }
        switch state.phase {
        case .awaitingConnect:
            guard case .connect(let connect) = packet else {
                end(connection, reason: .protocolViolation("first packet is \(packet.type), not CONNECT [MQTT-3.1.0-1]"), at: now, actions: &actions)
                return actions
            }
            handleConnect(connect, on: connection, at: now, actions: &actions)
        case .connected(let deviceID):
            handlePacket(packet, from: deviceID, on: connection, at: now, actions: &actions)
        case .provisioning:
            handleProvisioningPacket(packet, on: connection, at: now, actions: &actions)
        }
        return actions
    }

    /// Ends a connection: detaches it from its session, publishes the will when the device did
    /// not say DISCONNECT, reports it, and (unless the socket is already closed) closes or
    /// resets it.
    mutating func end(
        _ connection: ConnectionID,
        reason: DisconnectReason,
        at now: HubTime,
        actions: inout [Action],
        closeSocket: Bool = true,
        resetSocket: Bool = false
    ) {
        guard let state = connections.removeValue(forKey: connection) else { return }
        pending.remove(connection)
        if closeSocket { actions.append(resetSocket ? .reset(connection) : .close(connection)) }
        let deviceID = state.deviceID
        if let deviceID, var session = sessions[deviceID], session.connection == connection {
            session.connection = nil
            session.unlockAll()
            if state.cleanSession {
                session.subscriptions.removeAll()
                session.isPersistent = false
            }
            sessions[deviceID] = session
        }
        actions.append(.emit(.disconnected(deviceID, connection: connection, reason: reason)))
        if let deviceID, let will = state.will, reason != .clientDisconnected {
            // CONNECT made sure the will topic is the device's telemetry topic.
            var properties = PropertyBag()
            if case .telemetry(_, let bag) = try? IoTHubTopic(parsing: will.topic.string) { properties = bag }
            properties.append("iothub-MessageType", "Will")
            actions.append(.emit(.telemetry(deviceID, properties: properties, payload: will.payload)))
        }
    }
}
