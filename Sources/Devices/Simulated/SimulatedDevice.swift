import IoTHubCore
import MQTTCore
import NIOCore

/// An in-process device that behaves on the wire like a given client (its
/// ``DeviceProfile``) running the seed firmware's LED logic. It talks to the broker over a
/// real loopback socket, never by calling the broker's code.
public final class SimulatedDevice: Device {
    public let id: DeviceID
    public let profile: DeviceProfile
    private let loop: any EventLoop
    private let core: NIOLoopBoundBox<SimulatedDeviceCore>

    /// Creates a device on one event loop of `group`.
    /// - Parameters:
    ///   - settings: per-device adjustments of the profile (keep-alive pings on or off).
    ///   - wallClock: the device's clock for its timers and token expiry; in a run, the
    ///     simulated hub's clock, so a scenario's clock jumps reach the device too.
    ///   - tokenSource: where the device gets its password before each connect; `nil` uses
    ///     the ``ConnectRequest``'s password.
    ///   - observer: receives every device event, on the device's event loop; must not block.
    ///   - tap: receives every packet the device sends or receives.
    public init(
        id: DeviceID,
        profile: DeviceProfile = .umqttSimple,
        settings: ClientSettings = ClientSettings(),
        group: any EventLoopGroup,
        monotonic: any MonotonicClock = SystemMonotonicClock(),
        wallClock: any WallClock = SystemWallClock(),
        tokenSource: (any TokenSource)? = nil,
        observer: (@Sendable (DeviceEventRecord) -> Void)? = nil,
        tap: (any PacketTap)? = nil
    ) {
        let loop = group.next()
        self.id = id
        self.profile = profile
        self.loop = loop
        self.core = NIOLoopBoundBox.makeBoxSendingValue(
            SimulatedDeviceCore(
                deviceID: id,
                profile: profile,
                settings: settings,
                loop: loop,
                monotonic: monotonic,
                wallClock: wallClock,
                tokenSource: tokenSource,
                observer: observer,
                tap: tap
            ),
            eventLoop: loop
        )
    }

    public func connect(_ request: ConnectRequest) async throws -> OperationOutcome {
        let promise = loop.makePromise(of: OperationOutcome.self)
        let core = self.core
        loop.execute { core.value.connect(request, promise: promise) }
        return try await promise.futureResult.get()
    }

    public func subscribe(to filter: TopicFilter, qos: MQTTQoS) async throws -> OperationOutcome {
        let promise = loop.makePromise(of: OperationOutcome.self)
        let core = self.core
        loop.execute { core.value.subscribe(to: filter, qos: qos, promise: promise) }
        return try await promise.futureResult.get()
    }

    public func unsubscribe(from filter: TopicFilter) async throws -> OperationOutcome {
        let promise = loop.makePromise(of: OperationOutcome.self)
        let core = self.core
        loop.execute { core.value.unsubscribe(from: filter, promise: promise) }
        return try await promise.futureResult.get()
    }

    public func publish(_ topic: TopicName, payload: String, qos: MQTTQoS, retain: Bool) async throws -> OperationOutcome {
        let promise = loop.makePromise(of: OperationOutcome.self)
        let core = self.core
        loop.execute { core.value.publish(topic, payload: ByteBuffer(string: payload), qos: qos, retain: retain, promise: promise) }
        return try await promise.futureResult.get()
    }

    public func restart() async throws {
        let core = self.core
        try await loop.submit { core.value.restart() }.get()
    }

    public func disconnect() async throws {
        let core = self.core
        try await loop.submit { core.value.disconnect() }.get()
    }

    public func shutdown() async {
        let core = self.core
        try? await loop.submit { core.value.shutdown() }.get()
    }

    /// Whether the status LED is on now.
    public func isLEDOn() async throws -> Bool {
        let core = self.core
        return try await loop.submit { core.value.isLEDOn }.get()
    }
}
