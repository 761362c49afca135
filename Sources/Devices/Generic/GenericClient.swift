import IoTHubCore
import MQTTCore
import NIOCore

/// A full MQTT 3.1.1 client (scenario device kind `client`): QoS 0, 1 and 2 both ways,
/// retain, will, any client id, clean session 0 or 1, keep-alive pings on or off, optional
/// acknowledgements, and raw bytes. Its logic is ``GenericClientMachine``; it talks to the
/// broker over a real socket with the harness's codec, so its packet tap sees every packet.
public final class GenericClient: RawByteSending {
    public let id: DeviceID
    private let loop: any EventLoop
    private let core: NIOLoopBoundBox<GenericClientCore>

    /// Creates a client on one event loop of `group`.
    /// - Parameters:
    ///   - observer: receives every device event, on the client's event loop; must not block.
    ///   - tap: receives every packet the client sends or receives.
    public init(
        id: DeviceID,
        settings: GenericClientSettings = GenericClientSettings(),
        group: any EventLoopGroup,
        monotonic: any MonotonicClock = SystemMonotonicClock(),
        observer: (@Sendable (DeviceEventRecord) -> Void)? = nil,
        tap: (any PacketTap)? = nil
    ) {
        let loop = group.next()
        self.id = id
        self.loop = loop
        self.core = NIOLoopBoundBox.makeBoxSendingValue(
            GenericClientCore(deviceID: id, settings: settings, loop: loop, monotonic: monotonic, observer: observer, tap: tap),
            eventLoop: loop
        )
    }

    private func operation(_ body: @escaping @Sendable (GenericClientCore, EventLoopPromise<OperationOutcome>) -> Void) async throws -> OperationOutcome {
        let promise = loop.makePromise(of: OperationOutcome.self)
        let core = self.core
        loop.execute { body(core.value, promise) }
        return try await promise.futureResult.get()
    }

    public func connect(_ request: ConnectRequest) async throws -> OperationOutcome {
        try await operation { $0.connect(request, promise: $1) }
    }

    public func sendBytes(_ bytes: ByteBuffer, opening request: ConnectRequest) async throws -> OperationOutcome {
        try await operation { $0.sendBytes(bytes, opening: request, promise: $1) }
    }

    public func subscribe(to filter: TopicFilter, qos: MQTTQoS) async throws -> OperationOutcome {
        try await operation { core, promise in core.start(.subscribe, promise: promise) { $0.subscribe(to: filter, qos: qos, now: $1) } }
    }

    public func unsubscribe(from filter: TopicFilter) async throws -> OperationOutcome {
        try await operation { core, promise in core.start(.unsubscribe, promise: promise) { $0.unsubscribe(from: filter, now: $1) } }
    }

    public func publish(_ topic: TopicName, payload: String, qos: MQTTQoS, retain: Bool) async throws -> OperationOutcome {
        try await operation { core, promise in
            core.start(.publish, promise: promise) { $0.publish(topic, payload: ByteBuffer(string: payload), qos: qos, retain: retain, now: $1) }
        }
    }

    /// Drops the connection without DISCONNECT, so the broker publishes the will.
    public func restart() async throws {
        let core = self.core
        try await loop.submit { core.value.restart() }.get()
    }

    /// Sends DISCONNECT and returns once the connection is closed.
    /// - Throws: ``DisconnectFailure`` when there was nothing to close cleanly (the connection
    ///   is still opening, or another disconnect is under way).
    public func disconnect() async throws {
        let outcome = try await operation { core, promise in core.start(.disconnect, promise: promise) { $0.disconnect(now: $1) } }
        if case .connectionEnded(let reason) = outcome { throw DisconnectFailure(description: "cannot disconnect: \(reason)") }
    }

    public func shutdown() async {
        let core = self.core
        try? await loop.submit { core.value.shutdown() }.get()
    }
}

/// Why ``GenericClient/disconnect()`` could not disconnect.
public struct DisconnectFailure: Error, Sendable, CustomStringConvertible {
    public var description: String
}
