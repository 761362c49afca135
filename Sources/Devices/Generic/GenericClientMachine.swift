import MQTTCore
import NIOCore

/// What a generic client does beyond the ``ConnectRequest``: its will, whether it
/// acknowledges received messages, and whether it pings.
public struct GenericClientSettings: Sendable, Hashable {
    /// The will sent with every CONNECT; `nil` for none.
    public var will: ConnectPacket.Will?
    /// Whether received QoS 1 and QoS 2 messages are acknowledged (PUBACK, PUBREC). Off, the
    /// broker keeps them in flight and redelivers them with DUP after a reconnect.
    public var acknowledgesMessages: Bool
    /// Whether the client sends PINGREQ when it has been silent for the keep-alive period.
    public var sendsPings: Bool

    public init(will: ConnectPacket.Will? = nil, acknowledgesMessages: Bool = true, sendsPings: Bool = true) {
        self.will = will
        self.acknowledgesMessages = acknowledgesMessages
        self.sendsPings = sendsPings
    }
}

/// A full MQTT 3.1.1 client as a pure state machine: everything the specification lets a
/// client do (QoS 0, 1 and 2 both ways, retain, will, any client id, clean session 0 or 1,
/// keep-alive) plus raw bytes for conformance tests. Operations, network events and the time
/// go in; ``Action``s come out. Time is monotonic nanoseconds, passed in with every event.
///
/// Unlike ``ClientStateMachine`` it models no firmware: it never reconnects by itself and
/// never stops its program; the harness drives every connection.
public struct GenericClientMachine: Sendable {
    /// The operations a caller waits for.
    public enum Operation: Sendable, Hashable {
        case connect, subscribe, unsubscribe, publish, sendBytes, disconnect
    }

    /// What the driver must do, in order.
    public enum Action: Sendable, Hashable {
        /// Open the network connection (TCP, or TLS when the request says so).
        case openTransport
        case send(MQTTPacket)
        /// Write these bytes as they are, around the codec.
        case sendBytes(ByteBuffer)
        case closeTransport
        case report(DeviceEvent)
        /// Finish the pending operation.
        case complete(Operation, OperationOutcome)
        /// Call ``tick(now:)`` at this monotonic time. Replaces any earlier request.
        case scheduleTick(at: UInt64)
    }

    enum State: Sendable, Hashable {
        case idle
        /// Opening the transport; `raw` holds the bytes to write first instead of CONNECT.
        case opening(raw: ByteBuffer?)
        case awaitingConnAck
        case connected
        /// The transport is open but this client sent no CONNECT (raw bytes went first).
        case open
        /// DISCONNECT sent; waiting for the close.
        case closing
    }

    /// Where an outgoing QoS 2 message is in its exchange.
    enum OutgoingQoS2: Sendable, Hashable {
        case awaitingPubRec, awaitingPubComp
    }

    public let settings: GenericClientSettings
    var state: State = .idle
    var connectPacket: ConnectPacket?
    var connectPending = false
    var lastPacketID: UInt16 = 0
    var pendingSubscription: UInt16?
    var pendingUnsubscription: UInt16?
    var pendingPublication: UInt16?
    var outgoingQoS2: [UInt16: OutgoingQoS2] = [:]
    /// QoS 2 messages received and acknowledged with PUBREC, waiting for PUBREL.
    var incomingQoS2: Set<UInt16> = []
    var lastSent: UInt64 = 0
    /// Why the client is closing the connection itself: the broker broke the protocol.
    var closedForViolation: String?

    public init(settings: GenericClientSettings = GenericClientSettings()) {
        self.settings = settings
    }

    /// Whether the client holds an accepted MQTT connection.
    public var isConnected: Bool { state == .connected }

    /// Whether the transport is open (whatever went over it).
    public var isTransportOpen: Bool {
        switch state {
        case .awaitingConnAck, .connected, .open, .closing: true
        case .idle, .opening: false
        }
    }

    // MARK: Operations

    /// Connects with `packet` (the settings' will is added): opens the transport first unless
    /// raw bytes already opened it.
    public mutating func connect(_ packet: ConnectPacket, now: UInt64) -> [Action] {
        var packet = packet
        if packet.will == nil { packet.will = settings.will }
        switch state {
        case .idle:
            connectPacket = packet
            connectPending = true
            state = .opening(raw: nil)
            return [.openTransport]
        case .open:
            connectPacket = packet
            connectPending = true
            state = .awaitingConnAck
            return [sent(.connect(packet), now: now)]
        case .opening, .awaitingConnAck, .connected, .closing:
            return [.complete(.connect, .connectionEnded(reason: "the client is already connected or connecting"))]
        }
    }

    /// Writes raw bytes, opening the transport first (without CONNECT) when it is not open.
    public mutating func sendBytes(_ bytes: ByteBuffer, now: UInt64) -> [Action] {
        switch state {
        case .idle:
            state = .opening(raw: bytes)
            return [.openTransport]
        case .awaitingConnAck, .connected, .open:
            lastSent = now
            return [.sendBytes(bytes), .report(.bytesSent(bytes)), .complete(.sendBytes, .answered)]
        case .opening, .closing:
            return [.complete(.sendBytes, .connectionEnded(reason: "the connection is opening or closing"))]
        }
    }

    /// Sends SUBSCRIBE; completes on SUBACK (whatever its return codes).
    public mutating func subscribe(to filter: TopicFilter, qos: MQTTQoS, now: UInt64) -> [Action] {
        guard state == .connected else { return [.complete(.subscribe, .connectionEnded(reason: "the client is not connected"))] }
        let id = nextPacketID()
        pendingSubscription = id
        let actions: [Action] = [sent(.subscribe(SubscribePacket(packetID: id, subscriptions: [.init(filter: filter, qos: qos)])), now: now)]
        return withTimer(actions)
    }

    /// Sends UNSUBSCRIBE; completes on UNSUBACK.
    public mutating func unsubscribe(from filter: TopicFilter, now: UInt64) -> [Action] {
        guard state == .connected else { return [.complete(.unsubscribe, .connectionEnded(reason: "the client is not connected"))] }
        let id = nextPacketID()
        pendingUnsubscription = id
        let actions: [Action] = [sent(.unsubscribe(UnsubscribePacket(packetID: id, filters: [filter])), now: now)]
        return withTimer(actions)
    }

    /// Publishes; completes at once at QoS 0, on PUBACK at QoS 1, on PUBCOMP at QoS 2.
    public mutating func publish(_ topic: TopicName, payload: ByteBuffer, qos: MQTTQoS, retain: Bool, now: UInt64) -> [Action] {
        guard state == .connected else { return [.complete(.publish, .connectionEnded(reason: "the client is not connected"))] }
        guard qos != .atMostOnce else {
            let actions: [Action] = [sent(.publish(PublishPacket(topic: topic, payload: payload, retain: retain)), now: now), .complete(.publish, .answered)]
            return withTimer(actions)
        }
        let id = nextPacketID()
        pendingPublication = id
        if qos == .exactlyOnce { outgoingQoS2[id] = .awaitingPubRec }
        let actions: [Action] = [sent(.publish(PublishPacket(topic: topic, payload: payload, qos: qos, packetID: id, retain: retain)), now: now)]
        return withTimer(actions)
    }

    /// Sends DISCONNECT and closes; completes once the connection is closed, so a connect
    /// right after it never finds the old connection still closing.
    public mutating func disconnect(now: UInt64) -> [Action] {
        switch state {
        case .awaitingConnAck, .connected, .open:
            state = .closing
            return [sent(.disconnect, now: now), .closeTransport] + endPending("the client disconnected")
        case .closing:
            // Completed by the close already under way.
            return []
        case .idle:
            return [.complete(.disconnect, .answered)]
        case .opening:
            return [.complete(.disconnect, .connectionEnded(reason: "the connection is still opening"))]
        }
    }

    /// Drops the connection without DISCONNECT (a power cut: the broker publishes the will).
    public mutating func restart(now: UInt64) -> [Action] {
        let wasOpen = isTransportOpen
        closedForViolation = nil
        var actions: [Action] = [.report(.restarted)] + endPending("the device restarted")
        if case .opening(let raw) = state, raw != nil { actions.append(.complete(.sendBytes, .connectionEnded(reason: "the device restarted"))) }
        if state == .closing { actions.append(.complete(.disconnect, .answered)) }
        state = .idle
        if wasOpen { actions.append(.closeTransport) }
        return actions
    }

    // MARK: Helpers

    /// The next packet identifier, counting from 1 and skipping ids still in flight.
    mutating func nextPacketID() -> UInt16 {
        repeat {
            lastPacketID = lastPacketID == .max ? 1 : lastPacketID + 1
        } while outgoingQoS2[lastPacketID] != nil
        return lastPacketID
    }

    /// A send action, noting the time for keep-alive.
    mutating func sent(_ packet: MQTTPacket, now: UInt64) -> Action {
        lastSent = now
        return .send(packet)
    }

    /// Ends every pending operation with `outcome` (default: `connectionEnded(reason)`).
    mutating func endPending(_ reason: String, outcome: OperationOutcome? = nil) -> [Action] {
        let outcome = outcome ?? .connectionEnded(reason: reason)
        var actions: [Action] = []
        if connectPending { actions.append(.complete(.connect, outcome)) }
        if pendingSubscription != nil { actions.append(.complete(.subscribe, outcome)) }
        if pendingUnsubscription != nil { actions.append(.complete(.unsubscribe, outcome)) }
        if pendingPublication != nil { actions.append(.complete(.publish, outcome)) }
        connectPending = false
        pendingSubscription = nil
        pendingUnsubscription = nil
        pendingPublication = nil
        outgoingQoS2 = [:]
        return actions
    }
}
