import MQTTCore
import NIOCore

/// One MQTT client's protocol logic as a pure state machine: operations, network events and
/// the time go in, ``Action``s come out. Every client of the harness runs on it: the simulated
/// device profiles, the generic client, the cloud connection of broker targets, the
/// benchmark's load and the tests' client; where they differ, their
/// ``MQTTClientConfiguration`` says how.
///
/// The session owns the packet identifiers (one ``PacketIDAllocator`` that skips identifiers
/// in flight), the QoS 1 and 2 exchanges in both directions, keep-alive, session-present
/// handling and the completion of every operation (``Operation`` in, ``Outcome`` out under
/// the caller's ``OperationID``).
///
/// It speaks the ``MQTTClientConfiguration/protocolVersion`` it is configured with. In MQTT 5.0
/// it also honours the limits of the connection (``ConnectionLimits``: the broker's Receive
/// Maximum queues publishes, its Maximum Packet Size, Maximum QoS, Retain Available and Topic
/// Alias Maximum refuse operations; the client's own limits are enforced on the broker),
/// resolves topic aliases, takes the broker's DISCONNECT as the end of the session with its
/// reason, and answers enhanced authentication from an ``AuthenticationPolicy``. MQTT 3.1.1
/// sessions send exactly what they always did.
///
/// Time is nanoseconds on the clock the driver chose (a device's wall clock, so a scenario's
/// clock jumps reach it; or the monotonic clock), passed in with every event. The session never
/// reads a clock; it asks to be called again with ``Action/scheduleTick(at:)`` and does its
/// timed work in ``tick(now:)``.
public struct MQTTClientSession: Sendable {
    enum State: Sendable, Hashable {
        case idle
        /// Waiting for the token source before connecting (device programs).
        case fetchingToken
        case opening(Opening)
        case awaitingConnAck
        case connected
        /// The transport is open without an accepted MQTT connection: raw writes went first,
        /// or the broker refused the CONNECT (harness-driven clients).
        case open
        /// DISCONNECT sent; waiting for the close (harness-driven clients).
        case closing
        /// Renewing the token: DISCONNECT sent, waiting for the close to connect again.
        case closingToRenew
        /// Waiting to reconnect on its own after a drop.
        case waitingToReconnect(until: Int64)
        /// The device's program has ended; nothing more happens.
        case stopped(reason: String)
    }

    /// Why the transport is being opened.
    enum Opening: Sendable, Hashable {
        /// To send CONNECT.
        case forConnect
        /// For a raw write (or nothing, for ``Operation/open``), completing `operation`.
        case forWrite(RawWrite?, operation: OperationID)
    }

    /// An outgoing packet waiting for its answer, by packet identifier.
    enum InFlight: Sendable, Hashable {
        /// `nil`: the client's own SUBSCRIBE (a resubscription), which no caller waits for.
        case subscribe(OperationID?)
        case unsubscribe(OperationID)
        case publish(OperationID, PublishStage)
    }

    /// Where an outgoing QoS 1 or 2 PUBLISH is in its exchange.
    enum PublishStage: Sendable, Hashable {
        case awaitingPubAck, awaitingPubRec, awaitingPubComp
    }

    public let configuration: MQTTClientConfiguration
    var state: State = .idle
    /// The CONNECT options of the last connect operation; reconnects reuse them.
    var options: ConnectOptions?
    var packetIDs = PacketIDAllocator()
    var inFlight: [UInt16: InFlight] = [:]
    /// QoS 2 messages received and acknowledged with PUBREC, waiting for PUBREL.
    var incomingQoS2: Set<UInt16> = []
    /// Every operation waiting for its outcome.
    var operations: [OperationID: Operation.Kind] = [:]
    var connectOperation: OperationID?
    var disconnectOperations: [OperationID] = []
    var lastSent: Int64 = 0
    var lastReceived: Int64 = 0
    /// When the PINGREQ still waiting for its PINGRESP went out (``KeepAlivePolicy/afterSilence``).
    var pingSentAt: Int64?
    /// When the last PINGREQ (or the CONNECT) went out (``KeepAlivePolicy/every(_:)``).
    var lastPing: Int64 = 0
    /// Why the client is closing the connection itself: the broker broke the protocol.
    var closedForViolation: String?
    /// Why the client is closing the connection itself for a reason of its own (MQTT 5.0: no
    /// answer left for the broker's authentication challenge).
    var closedByClient: String?
    // The device program's state (``ProgramPolicy``).
    /// Whether the current connection attempt is the program's own reconnect.
    var isReconnect = false
    var reconnectAttempt = 0
    var token: ClientToken?
    var renewalInProgress = false
    /// The token expiry for which renewal gave no newer token; renewal waits for another.
    var renewalAbandonedFor: Int64?
    /// Filters subscribed to, for programs that subscribe again after reconnecting.
    var subscriptions: [SubscribePacket.Subscription] = []
    // MQTT 5.0, per connection.
    /// What the CONNECT and CONNACK of the current connection announced.
    public internal(set) var limits = ConnectionLimits()
    /// The broker's topic aliases: alias to topic name.
    var incomingAliases: [UInt16: TopicName] = [:]
    /// The client's topic aliases: alias to topic name.
    var outgoingAliases: [UInt16: TopicName] = [:]
    /// QoS 1 and 2 publishes waiting for the broker's Receive Maximum, in order.
    var queuedPublishes: [QueuedPublish] = []
    /// Received QoS 1 publishes not yet acknowledged (acknowledgement policies that leave
    /// them), counted against the client's Receive Maximum with ``incomingQoS2``.
    var unacknowledgedIncoming: Set<UInt16> = []
    /// How many topic filters each SUBSCRIBE and UNSUBSCRIBE in flight has (5.0: its
    /// acknowledgement has one reason code per filter).
    var filterCounts: [UInt16: Int] = [:]
    /// The DISCONNECT the broker sent on the current connection.
    var serverDisconnect: DisconnectPacket?
    /// Where an enhanced authentication exchange is.
    var authentication = AuthenticationExchange()

    public init(configuration: MQTTClientConfiguration = MQTTClientConfiguration()) {
        self.configuration = configuration
    }

    /// Whether the client holds an accepted MQTT connection.
    public var isConnected: Bool { state == .connected }

    /// Whether the transport is open (whatever went over it).
    public var isTransportOpen: Bool {
        switch state {
        case .awaitingConnAck, .connected, .open, .closing, .closingToRenew: true
        case .idle, .fetchingToken, .opening, .waitingToReconnect, .stopped: false
        }
    }

    /// The reason the device's program stopped, if it has.
    public var stopReason: String? {
        if case .stopped(let reason) = state { return reason }
        return nil
    }

    /// The packet identifier handed out last (0 before the first).
    public var lastPacketID: UInt16 { packetIDs.last }

    var version: MQTTProtocolVersion { configuration.protocolVersion }

    /// The keep-alive in force, in seconds: the broker's Server Keep Alive (5.0) when it sent
    /// one, else the one the client announced.
    var keepAlive: UInt16 { limits.serverKeepAlive ?? options?.keepAlive ?? 0 }

    /// Why an operation that needs a connection cannot run now.
    var notConnectedReason: String {
        configuration.program == nil ? "the client is not connected" : "the device is not connected"
    }

    // MARK: Helpers shared by the extensions

    /// A send action, noting the time for keep-alive.
    mutating func send(_ packet: MQTTPacket, now: Int64) -> Action {
        lastSent = now
        return .send(packet)
    }

    /// Sends the CONNECT of the current attempt: clean session 0 on a program's reconnect,
    /// the token as password when the program has one.
    mutating func sendConnect(now: Int64) -> Action? {
        guard let options else { return nil }
        let cleanSession = isReconnect ? false : options.cleanSession
        let password = token.map { ByteBuffer(string: $0.password) } ?? options.password
        state = .awaitingConnAck
        lastReceived = now
        lastPing = now
        startConnection(options)
        return send(version.connect(options, cleanSession: cleanSession, password: password), now: now)
    }

    /// The next free packet identifier.
    mutating func nextPacketID() -> UInt16? {
        let inFlight = self.inFlight
        return packetIDs.next { inFlight[$0] != nil }
    }

    /// Finishes `operation`.
    mutating func complete(_ operation: OperationID, _ outcome: Outcome) -> Action {
        operations[operation] = nil
        return .complete(operation, outcome)
    }

    /// Ends the waiting connect operation.
    mutating func endConnect(_ outcome: Outcome) -> [Action] {
        guard let operation = connectOperation else { return [] }
        connectOperation = nil
        return [complete(operation, outcome)]
    }

    /// Ends every operation waiting for an answer to a packet in flight, in packet-identifier
    /// order, and forgets the packets.
    mutating func endInFlight(_ outcome: Outcome) -> [Action] {
        var actions: [Action] = []
        for id in inFlight.keys.sorted() {
            switch inFlight[id] {
            case .subscribe(let operation?), .unsubscribe(let operation), .publish(let operation, _):
                actions.append(complete(operation, outcome))
            case .subscribe(nil), nil:
                break
            }
        }
        inFlight = [:]
        for queued in queuedPublishes { actions.append(complete(queued.operation, outcome)) }
        queuedPublishes = []
        if let operation = authentication.operation {
            authentication.operation = nil
            actions.append(complete(operation, outcome))
        }
        return actions
    }

    /// Ends the connect operation and every operation waiting for an answer.
    mutating func endPending(_ outcome: Outcome) -> [Action] {
        endConnect(outcome) + endInFlight(outcome)
    }
}
