import IoTHubCore
import MQTTClient
import MQTTClientCore
import MQTTCore
import NIOCore
import NIOSSL

/// An in-process device that behaves on the wire like a given client (its
/// ``DeviceProfile``, a configuration of the client engine) running the seed firmware's LED
/// logic. It talks to the broker over a real loopback socket, never by calling the broker's
/// code.
public final class SimulatedDevice: ConnAckReporting {
    public let id: DeviceID
    public let profile: DeviceProfile
    private let connection: MQTTClientConnection
    private let firmware: NIOLoopBoundBox<LEDFirmware>
    private let reporter: DeviceReporter

    /// The longest the driver sleeps before asking the session again, so a jump of the wall
    /// clock (a scenario's `advance_clock`) is noticed soon.
    static let longestTimerSleep: Int64 = 250_000_000

    /// Creates a device on one event loop of `group`.
    /// - Parameters:
    ///   - settings: per-device adjustments of the profile (keep-alive pings on or off).
    ///   - wallClock: the device's clock for its timers and token expiry; in a run, the
    ///     simulated hub's clock, so a scenario's clock jumps reach the device too.
    ///   - tokenSource: where the device gets its password before each connect; `nil` uses
    ///     the ``ConnectRequest``'s password.
    ///   - observer: receives every device event, on the device's event loop; must not block.
    ///   - tap: receives every packet the device sends or receives.
    ///   - tlsContext: a client TLS context made once (``ClientTLS/makeContext()``) from the
    ///     same settings as the ``ConnectRequest``'s TLS, shared by every device of a fleet;
    ///     `nil` makes one per connection.
    ///   - sourceAddress: the address the device's connections bind as their source (for
    ///     example `127.0.0.2` from a ``SourceAddressPool``); `nil`: the system picks.
    public init(
        id: DeviceID,
        profile: DeviceProfile = .umqttSimple,
        settings: ClientSettings = ClientSettings(),
        group: any EventLoopGroup,
        monotonic: any MonotonicClock = SystemMonotonicClock(),
        wallClock: any WallClock = SystemWallClock(),
        tokenSource: (any TokenSource)? = nil,
        observer: (@Sendable (DeviceEventRecord) -> Void)? = nil,
        tap: (any PacketTap)? = nil,
        tlsContext: NIOSSLContext? = nil,
        sourceAddress: String? = nil
    ) {
        let loop = group.next()
        var settings = settings
        settings.usesTokenSource = tokenSource != nil
        let reporter = DeviceReporter(deviceID: id, monotonic: monotonic, observer: observer)
        let firmware = NIOLoopBoundBox.makeBoxSendingValue(LEDFirmware(), eventLoop: loop)
        var tokens: (@Sendable () async throws -> ClientToken)?
        if let tokenSource { tokens = { try await tokenSource.token() } }
        let driverSettings = MQTTClientDriver.Settings(
            tap: tap,
            packetClock: monotonic,
            sessionClock: SessionClock(now: { wallClock.unixNanoseconds() }, longestSleep: Self.longestTimerSleep),
            tlsContext: tlsContext,
            tokens: tokens,
            localAddress: sourceAddress
        )
        self.id = id
        self.profile = profile
        self.reporter = reporter
        self.firmware = firmware
        self.connection = MQTTClientConnection(configuration: profile.configuration(settings), settings: driverSettings, eventLoop: loop) { output in
            reporter.relay(output)
            switch output {
            case .deliver(let publish):
                // The firmware's callback runs before the PUBACK goes out.
                let (isOn, changed) = firmware.value.handleMessage(topic: publish.topic, payload: publish.payload)
                reporter.report(.led(isOn: isOn, changed: changed))
            case .transportError(let error):
                reporter.report(.disconnected(reason: TransportErrorText.describe(error)))
            case .connecting, .report, .bytesReceived, .packetReceived:
                break
            }
        }
    }

    public func connect(_ request: ConnectRequest) async throws -> OperationOutcome {
        try await connectReportingConnAck(request).outcome
    }

    public func connectReportingConnAck(_ request: ConnectRequest) async throws -> ConnectAnswer {
        await connection.connect(request.connectOptions(), endpoint: request.endpoint)
    }

    public func subscribe(to filter: TopicFilter, qos: MQTTQoS) async throws -> OperationOutcome {
        await connection.run(.subscribe([.init(filter: filter, qos: qos)]))
    }

    public func unsubscribe(from filter: TopicFilter) async throws -> OperationOutcome {
        await connection.run(.unsubscribe([filter]))
    }

    public func publish(_ topic: TopicName, payload: String, qos: MQTTQoS, retain: Bool) async throws -> OperationOutcome {
        await connection.run(.publish(ApplicationMessage(topic: topic, payload: ByteBuffer(string: payload), qos: qos, retain: retain)))
    }

    /// Power-cycles the device: the connection drops without DISCONNECT, the program and the
    /// LED start over. The harness connects it again with its next connect.
    public func restart() async throws {
        let firmware = self.firmware
        let reporter = self.reporter
        try await connection.withDriver { driver in
            driver.restart()
            let wasOn = firmware.value.isOn
            firmware.value = LEDFirmware()
            if wasOn { reporter.report(.led(isOn: false, changed: true)) }
        }
    }

    public func disconnect() async throws {
        _ = await connection.perform(.disconnect)
    }

    public func shutdown() async {
        await connection.shutdown()
    }

    /// Whether the status LED is on now.
    public func isLEDOn() async throws -> Bool {
        let firmware = self.firmware
        return try await connection.eventLoop.submit { firmware.value.isOn }.get()
    }
}
