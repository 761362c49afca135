import MQTTCore
import NIOCore

/// The MQTT client logic of a simulated device as a pure state machine: operations and
/// network events go in, ``Action``s come out. The device's ``DeviceProfile`` decides the
/// behaviour where clients differ (pings, reconnects, what an error does).
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
    }

    enum State: Sendable, Hashable {
        case idle
        case openingTransport(ConnectPacket)
        case awaitingConnAck
        case connected
        /// The firmware's program has ended; nothing more happens.
        case stopped(reason: String)
    }

    public let profile: DeviceProfile
    private(set) var state: State = .idle
    private var lastPacketID: UInt16 = 0
    private var pendingSubscription: UInt16?
    private var pendingUnsubscription: UInt16?
    private var pendingPublication: UInt16?

    public init(profile: DeviceProfile) {
        self.profile = profile
    }

    /// Whether the device holds an accepted MQTT connection.
    public var isConnected: Bool { state == .connected }

    /// The reason the program stopped, if it has.
    public var stopReason: String? {
        if case .stopped(let reason) = state { return reason }
        return nil
    }

    // MARK: Operations

    /// Starts connecting with `packet`.
    public mutating func connect(_ packet: ConnectPacket) -> [Action] {
        switch state {
        case .idle:
            state = .openingTransport(packet)
            return [.openTransport]
        case .stopped(let reason):
            return [.completeConnect(.connectionEnded(reason: "the device's program has stopped: \(reason)"))]
        case .openingTransport, .awaitingConnAck, .connected:
            return [.completeConnect(.connectionEnded(reason: "the device is already connected or connecting"))]
        }
    }

    /// Sends SUBSCRIBE with the next packet identifier (umqtt starts at 1).
    public mutating func subscribe(to filter: TopicFilter, qos: MQTTQoS) -> [Action] {
        guard state == .connected else {
            return [.completeSubscribe(.connectionEnded(reason: "the device is not connected"))]
        }
        let id = nextPacketID()
        pendingSubscription = id
        let packet = SubscribePacket(packetID: id, subscriptions: [.init(filter: filter, qos: qos)])
        return [.send(.subscribe(packet))]
    }

    /// Sends UNSUBSCRIBE with the next packet identifier.
    public mutating func unsubscribe(from filter: TopicFilter) -> [Action] {
        guard state == .connected else {
            return [.completeUnsubscribe(.connectionEnded(reason: "the device is not connected"))]
        }
        guard profile.supportsUnsubscribe else {
            return [.completeUnsubscribe(.unsupported(reason: "\(profile.name) has no unsubscribe()"))]
        }
        let id = nextPacketID()
        pendingUnsubscription = id
        return [.send(.unsubscribe(UnsubscribePacket(packetID: id, filters: [filter])))]
    }

    /// Publishes a message; at QoS 1 the operation completes on PUBACK (umqtt's `publish`
    /// waits for it), at QoS 0 at once.
    public mutating func publish(_ topic: TopicName, payload: ByteBuffer, qos: MQTTQoS, retain: Bool) -> [Action] {
        guard state == .connected else {
            return [.completePublish(.connectionEnded(reason: "the device is not connected"))]
        }
        guard qos != .exactlyOnce else {
            // umqtt.simple: `assert qos == 1` for anything above 0.
            return [.completePublish(.unsupported(reason: "\(profile.name) cannot publish at QoS 2"))]
        }
        guard qos == .atLeastOnce else {
            return [.send(.publish(PublishPacket(topic: topic, payload: payload, retain: retain))), .completePublish(.answered)]
        }
        let id = nextPacketID()
        pendingPublication = id
        return [.send(.publish(PublishPacket(topic: topic, payload: payload, qos: .atLeastOnce, packetID: id, retain: retain)))]
    }

    /// The device loses power: the connection drops without DISCONNECT and the program starts
    /// again from the beginning (not connected, packet ids from 1).
    public mutating func restart() -> [Action] {
        let wasOpen = state == .connected || state == .awaitingConnAck
        state = .idle
        lastPacketID = 0
        var actions: [Action] = [.report(.restarted)]
        actions += finishPending(.connectionEnded(reason: "the device restarted"))
        if wasOpen { actions.append(.closeTransport) }
        return actions
    }

    private mutating func nextPacketID() -> UInt16 {
        lastPacketID = lastPacketID == .max ? 1 : lastPacketID + 1
        return lastPacketID
    }

    private mutating func finishPending(_ outcome: OperationOutcome) -> [Action] {
        var actions: [Action] = []
        if pendingSubscription != nil { actions.append(.completeSubscribe(outcome)) }
        if pendingUnsubscription != nil { actions.append(.completeUnsubscribe(outcome)) }
        if pendingPublication != nil { actions.append(.completePublish(outcome)) }
        pendingSubscription = nil
        pendingUnsubscription = nil
        pendingPublication = nil
        return actions
    }

    /// Sends DISCONNECT and closes; the firmware program ends normally.
    public mutating func disconnect() -> [Action] {
        guard state == .connected else { return [] }
        state = .idle
        return [.send(.disconnect), .closeTransport]
    }

    // MARK: Network events

    /// The network connection is up: send CONNECT.
    public mutating func transportConnected() -> [Action] {
        guard case .openingTransport(let packet) = state else { return [] }
        state = .awaitingConnAck
        return [.report(.transportConnected), .send(.connect(packet))]
    }

    /// The network connection could not be opened: the firmware raises (`OSError`).
    public mutating func transportFailed(reason: String) -> [Action] {
        guard case .openingTransport = state else { return [] }
        return stop(reason: "OSError: \(reason)", events: [.transportFailed(reason: reason)], connectOutcome: .connectionEnded(reason: reason))
    }

    /// A packet arrived from the broker.
    public mutating func packetReceived(_ packet: MQTTPacket) -> [Action] {
        switch (state, packet) {
        case (.awaitingConnAck, .connack(let connack)):
            guard connack.returnCode == .accepted else {
                // umqtt.simple: `raise MQTTException(resp[3])`.
                var actions = stop(
                    reason: "MQTTException(\(connack.returnCode.rawValue))",
                    events: [.connAckReceived(connack)],
                    connectOutcome: .answered
                )
                actions.append(.closeTransport)
                return actions
            }
            state = .connected
            return [.report(.connAckReceived(connack)), .completeConnect(.answered)]
        case (.awaitingConnAck, _):
            // umqtt.simple reads four bytes and asserts they are a CONNACK.
            var actions = stop(reason: "AssertionError: expected CONNACK, got \(packet.type)", events: [], connectOutcome: .connectionEnded(reason: "\(packet.type) before CONNACK"))
            actions.append(.closeTransport)
            return actions
        case (.connected, .publish(let publish)):
            guard publish.qos != .exactlyOnce else {
                var actions = stop(reason: "AssertionError: QoS 2 PUBLISH", events: [], connectOutcome: nil)
                actions.append(.closeTransport)
                return actions
            }
            var actions: [Action] = [
                .report(.messageReceived(topic: publish.topic, payload: publish.payload, qos: publish.qos)),
                .deliver(topic: publish.topic, payload: publish.payload),
            ]
            if publish.qos == .atLeastOnce, let id = publish.packetID {
                actions.append(.send(.puback(packetID: id)))
            }
            return actions
        case (.connected, .suback(let suback)):
            var actions: [Action] = [.report(.subAckReceived(suback))]
            if suback.packetID == pendingSubscription {
                pendingSubscription = nil
                actions.append(.completeSubscribe(.answered))
                if suback.returnCodes.contains(.failure) {
                    // umqtt.simple: `raise MQTTException(resp[3])` on 0x80.
                    actions += stop(reason: "MQTTException(128)", events: [], connectOutcome: nil)
                    actions.append(.closeTransport)
                }
            }
            return actions
        case (.connected, .unsuback(let id)) where id == pendingUnsubscription:
            pendingUnsubscription = nil
            return [.completeUnsubscribe(.answered)]
        case (.connected, .puback(let id)) where id == pendingPublication:
            pendingPublication = nil
            return [.completePublish(.answered)]
        case (.connected, _):
            // PINGRESP and the rest: umqtt's wait_msg swallows or returns them unread.
            return []
        case (.idle, _), (.openingTransport, _), (.stopped, _):
            return []
        }
    }

    /// The network connection closed.
    public mutating func transportClosed() -> [Action] {
        switch state {
        case .idle, .stopped:
            return [.report(.disconnected(reason: "connection closed"))]
        case .openingTransport, .awaitingConnAck, .connected:
            let ending: OperationOutcome = .connectionEnded(reason: "the connection closed")
            var events: [DeviceEvent] = [.disconnected(reason: "connection closed by the broker")]
            if !profile.crashesOnDisconnect {
                state = .idle
                var actions = events.map(Action.report)
                actions += finishPending(ending)
                actions.append(.completeConnect(ending))
                return actions
            }
            events.append(.crashed(reason: "OSError: -1 (connection closed in wait_msg)"))
            return stop(reason: "OSError: -1", events: events, connectOutcome: ending, reportCrash: false)
        }
    }

    private mutating func stop(
        reason: String,
        events: [DeviceEvent],
        connectOutcome: OperationOutcome?,
        reportCrash: Bool = true
    ) -> [Action] {
        state = .stopped(reason: reason)
        var actions = events.map(Action.report)
        if reportCrash { actions.append(.report(.crashed(reason: reason))) }
        if let connectOutcome { actions.append(.completeConnect(connectOutcome)) }
        actions += finishPending(.connectionEnded(reason: reason))
        return actions
    }
}
