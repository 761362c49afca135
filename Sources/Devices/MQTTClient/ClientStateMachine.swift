import MQTTCore
import NIOCore

/// The MQTT client logic of a simulated device as a pure state machine: operations, network
/// events and the time go in, ``Action``s come out. The device's ``DeviceProfile`` decides the
/// behaviour where clients differ (pings, reconnects, token renewal, what an error does).
///
/// Time is the device's wall clock in nanoseconds since 1970 (see ``WallClock``), passed in
/// with every event. The machine never reads a clock; it asks to be called again with
/// ``Action/scheduleTick(at:)`` and does its timed work in ``tick(now:)``.
public struct ClientStateMachine: Sendable {
    /// What the driver must do, in order.
    public enum Action: Sendable, Hashable {
        /// Open the network connection.
        case openTransport
        case send(MQTTPacket)
        case closeTransport
        /// Run the firmware's message callback with this message.
        case deliver(topic: TopicName, payload: ByteBuffer)
        case report(DeviceEvent)
        /// Finish the pending connect operation.
        case completeConnect(OperationOutcome)
        /// Finish the pending subscribe operation.
        case completeSubscribe(OperationOutcome)
        /// Finish the pending unsubscribe operation.
        case completeUnsubscribe(OperationOutcome)
        /// Finish the pending publish operation.
        case completePublish(OperationOutcome)
        /// Ask the device's token source for a token, then call ``tokenReceived(_:now:)`` or
        /// ``tokenFailed(reason:now:)``.
        case fetchToken
        /// Call ``tick(now:)`` at this wall-clock time (nanoseconds since 1970). Replaces any
        /// earlier request.
        case scheduleTick(at: Int64)
    }

    enum State: Sendable, Hashable {
        case idle
        case fetchingToken
        case openingTransport
        case awaitingConnAck
        case connected
        /// Renewing the token: DISCONNECT sent, waiting for the close to connect again.
        case closingToRenew
        /// Waiting to reconnect on its own after a drop.
        case waitingToReconnect(until: Int64)
        /// The firmware's program has ended; nothing more happens.
        case stopped(reason: String)
    }

    public let profile: DeviceProfile
    public let settings: ClientSettings
    var state: State = .idle
    /// The CONNECT of the last connect operation; reconnects reuse it with clean session 0.
    var template: ConnectPacket?
    /// Whether the current connection attempt is the client's own reconnect.
    var isReconnect = false
    /// Whether a connect operation waits for its outcome.
    var connectPending = false
    var token: DeviceToken?
    var lastPacketID: UInt16 = 0
    var pendingSubscription: UInt16?
    var pendingUnsubscription: UInt16?
    var pendingPublication: UInt16?
    /// Filters subscribed to, for profiles that subscribe again after reconnecting.
    var subscriptions: [SubscribePacket.Subscription] = []
    var lastSent: Int64 = 0
    var lastReceived: Int64 = 0
    var pingSentAt: Int64?
    var renewalInProgress = false
    /// The token expiry for which renewal gave no newer token; renewal waits for another.
    var renewalAbandonedFor: Int64?
    var reconnectAttempt = 0

    public init(profile: DeviceProfile, settings: ClientSettings = ClientSettings()) {
        self.profile = profile
        self.settings = settings
    }

    /// Whether the device holds an accepted MQTT connection.
    public var isConnected: Bool { state == .connected }

    /// The reason the program stopped, if it has.
    public var stopReason: String? {
        if case .stopped(let reason) = state { return reason }
        return nil
    }

    /// Whether the client pings by itself (the profile's default or the device's override).
    public var sendsPings: Bool { settings.sendsPings ?? profile.sendsPings }

    /// How long before expiry the client renews its token; `nil` when it never does.
    public var renewalMargin: Duration? {
        guard let margin = profile.renewalMargin else { return nil }
        return settings.renewalMargin ?? margin
    }

    /// The keep-alive the client announced, in seconds.
    var keepAlive: UInt16 { template?.keepAlive ?? 0 }

    /// Whether errors raise out of the program (umqtt) rather than being reported to the
    /// application (SDK).
    var errorsStopProgram: Bool {
        switch profile.reconnectPolicy {
        case .never: true
        case .cleanSessionZero(_, _, let refusalStopsProgram): refusalStopsProgram
        }
    }

    // MARK: Operations

    /// Starts connecting with `packet` (its password is replaced by the token source's when
    /// the device uses one).
    public mutating func connect(_ packet: ConnectPacket, now: Int64) -> [Action] {
        switch state {
        case .idle:
            template = packet
            connectPending = true
            isReconnect = false
            reconnectAttempt = 0
            return beginAttempt(now: now, freshToken: true)
        case .stopped(let reason):
            return [.completeConnect(.connectionEnded(reason: "the device's program has stopped: \(reason)"))]
        case .fetchingToken, .openingTransport, .awaitingConnAck, .connected, .closingToRenew, .waitingToReconnect:
            return [.completeConnect(.connectionEnded(reason: "the device is already connected or connecting"))]
        }
    }

    /// Sends SUBSCRIBE with the next packet identifier (umqtt starts at 1).
    public mutating func subscribe(to filter: TopicFilter, qos: MQTTQoS, now: Int64) -> [Action] {
        guard state == .connected else {
            return [.completeSubscribe(.connectionEnded(reason: "the device is not connected"))]
        }
        if !subscriptions.contains(where: { $0.filter == filter }) {
            subscriptions.append(.init(filter: filter, qos: qos))
        }
        let packet = makeSubscribe([.init(filter: filter, qos: qos)])
        pendingSubscription = packet.packetID
        return withTimer([sent(.subscribe(packet), now: now)], now: now)
    }

    /// Sends UNSUBSCRIBE with the next packet identifier.
    public mutating func unsubscribe(from filter: TopicFilter, now: Int64) -> [Action] {
        guard state == .connected else {
            return [.completeUnsubscribe(.connectionEnded(reason: "the device is not connected"))]
        }
        guard profile.supportsUnsubscribe else {
            return [.completeUnsubscribe(.unsupported(reason: "\(profile.name) has no unsubscribe()"))]
        }
        subscriptions.removeAll { $0.filter == filter }
        let id = nextPacketID()
        pendingUnsubscription = id
        return withTimer([sent(.unsubscribe(UnsubscribePacket(packetID: id, filters: [filter])), now: now)], now: now)
    }

    /// Publishes a message; at QoS 1 the operation completes on PUBACK (umqtt's `publish`
    /// waits for it), at QoS 0 at once.
    public mutating func publish(_ topic: TopicName, payload: ByteBuffer, qos: MQTTQoS, retain: Bool, now: Int64) -> [Action] {
        guard state == .connected else {
            return [.completePublish(.connectionEnded(reason: "the device is not connected"))]
        }
        guard qos != .exactlyOnce else {
            // umqtt.simple: `assert 0` for QoS 2.
            return [.completePublish(.unsupported(reason: "\(profile.name) cannot publish at QoS 2"))]
        }
        guard qos == .atLeastOnce else {
            return withTimer([sent(.publish(PublishPacket(topic: topic, payload: payload, retain: retain)), now: now), .completePublish(.answered)], now: now)
        }
        let id = nextPacketID()
        pendingPublication = id
        return withTimer([sent(.publish(PublishPacket(topic: topic, payload: payload, qos: .atLeastOnce, packetID: id, retain: retain)), now: now)], now: now)
    }

    /// The device loses power: the connection drops without DISCONNECT and the program starts
    /// again from the beginning (not connected, packet ids from 1, no timers, no token).
    public mutating func restart(now: Int64) -> [Action] {
        let wasOpen = [.connected, .awaitingConnAck, .closingToRenew].contains(state)
        var actions: [Action] = [.report(.restarted)]
        actions += finishPending(.connectionEnded(reason: "the device restarted"))
        actions += endPendingConnect(.connectionEnded(reason: "the device restarted"))
        if wasOpen { actions.append(.closeTransport) }
        self = ClientStateMachine(profile: profile, settings: settings)
        return actions
    }

    /// Sends DISCONNECT and closes; the client does not reconnect after it.
    public mutating func disconnect(now: Int64) -> [Action] {
        switch state {
        case .connected:
            state = .idle
            renewalInProgress = false
            return [.send(.disconnect), .closeTransport]
        case .waitingToReconnect:
            state = .idle
            return []
        default:
            return []
        }
    }

    // MARK: Tokens

    /// The token source answered.
    public mutating func tokenReceived(_ token: DeviceToken, now: Int64) -> [Action] {
        switch state {
        case .fetchingToken:
            self.token = token
            state = .openingTransport
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
            return [.report(.renewingToken), sent(.disconnect, now: now), .closeTransport]
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
            connectPending = false
            return [.report(.tokenFailed(reason: reason)), .completeConnect(.connectionEnded(reason: "no token: \(reason)"))]
        case .connected where renewalInProgress:
            renewalInProgress = false
            renewalAbandonedFor = token?.expiry
            return withTimer([.report(.tokenFailed(reason: reason))], now: now)
        default:
            return []
        }
    }

    // MARK: Helpers shared by the extensions

    /// Starts one connection attempt: asks for a token when needed, else opens the transport.
    mutating func beginAttempt(now: Int64, freshToken: Bool) -> [Action] {
        if settings.usesTokenSource && (freshToken || token == nil) {
            state = .fetchingToken
            return [.fetchToken]
        }
        state = .openingTransport
        return [.openTransport]
    }

    /// The CONNECT to send on the current attempt.
    var connectPacket: ConnectPacket? {
        guard var packet = template else { return nil }
        if isReconnect { packet.cleanSession = false }
        if let token { packet.password = ByteBuffer(string: token.password) }
        return packet
    }

    /// A SUBSCRIBE with the next packet identifier.
    mutating func makeSubscribe(_ subscriptions: [SubscribePacket.Subscription]) -> SubscribePacket {
        SubscribePacket(packetID: nextPacketID(), subscriptions: subscriptions)
    }

    /// The next packet identifier (umqtt counts from 1).
    mutating func nextPacketID() -> UInt16 {
        lastPacketID = lastPacketID == .max ? 1 : lastPacketID + 1
        return lastPacketID
    }

    /// Ends every pending subscribe, unsubscribe and publish operation.
    mutating func finishPending(_ outcome: OperationOutcome) -> [Action] {
        var actions: [Action] = []
        if pendingSubscription != nil { actions.append(.completeSubscribe(outcome)) }
        if pendingUnsubscription != nil { actions.append(.completeUnsubscribe(outcome)) }
        if pendingPublication != nil { actions.append(.completePublish(outcome)) }
        pendingSubscription = nil
        pendingUnsubscription = nil
        pendingPublication = nil
        return actions
    }

    /// A send action, noting the time for keep-alive.
    mutating func sent(_ packet: MQTTPacket, now: Int64) -> Action {
        lastSent = now
        return .send(packet)
    }

    /// Stops the program.
    mutating func stop(
        reason: String,
        events: [DeviceEvent],
        connectOutcome: OperationOutcome?,
        reportCrash: Bool = true
    ) -> [Action] {
        state = .stopped(reason: reason)
        var actions = events.map(Action.report)
        if reportCrash { actions.append(.report(.crashed(reason: reason))) }
        if connectPending, let connectOutcome {
            actions.append(.completeConnect(connectOutcome))
        }
        connectPending = false
        actions += finishPending(.connectionEnded(reason: reason))
        return actions
    }

    /// Ends a pending connect operation.
    mutating func endPendingConnect(_ outcome: OperationOutcome) -> [Action] {
        guard connectPending else { return [] }
        connectPending = false
        return [.completeConnect(outcome)]
    }
}
