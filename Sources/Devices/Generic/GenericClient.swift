import IoTHubCore
import MQTTClient
import MQTTClientCore
import MQTTCore
import NIOCore

/// A full MQTT 3.1.1 or 5.0 client (scenario device kind `client`, `protocol: 5`): QoS 0, 1
/// and 2 both ways, retain, will, any client id, clean session (Clean Start) 0 or 1,
/// keep-alive pings on or off, optional acknowledgements, raw bytes, and in 5.0 properties on
/// every packet, subscription options, the broker's limits honoured, topic aliases,
/// enhanced authentication and the broker's DISCONNECT reported with its reason. It is the client engine configured by its
/// ``GenericClientSettings``; it talks to the broker over a real socket with the harness's
/// codec, so its packet tap sees every packet.
public final class GenericClient: RawByteSending, ConnAckReporting {
    public let id: DeviceID
    private let settings: GenericClientSettings
    private let connection: MQTTClientConnection
    private var version: MQTTProtocolVersion { settings.protocolVersion }

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
        let reporter = DeviceReporter(deviceID: id, monotonic: monotonic, observer: observer)
        let driverSettings = MQTTClientDriver.Settings(tap: tap, packetClock: monotonic, sessionClock: .monotonic(monotonic), handlesRawBytes: true)
        self.id = id
        self.settings = settings
        self.connection = MQTTClientConnection(configuration: settings.configuration, settings: driverSettings, eventLoop: group.next()) { output in
            reporter.relay(output)
            switch output {
            case .bytesReceived(let bytes):
                reporter.report(.bytesReceived(bytes))
            case .transportError(let error) where !(error is MQTTDecodingError):
                // A malformed packet is the session's to report, as a protocol violation.
                reporter.report(.output(line: "connection error: \(TransportErrorText.describe(error))"))
            case .connecting, .deliver, .report, .packetReceived, .transportError:
                break
            }
        }
    }

    public func connect(_ request: ConnectRequest) async throws -> OperationOutcome {
        try await connectReportingConnAck(request).outcome
    }

    public func connectReportingConnAck(_ request: ConnectRequest) async throws -> ConnectAnswer {
        await connection.connect(settings.connectOptions(for: request), endpoint: request.endpoint, version: version)
    }

    public func sendBytes(_ bytes: ByteBuffer, opening request: ConnectRequest) async throws -> OperationOutcome {
        await connection.run(.write(.bytes(bytes)), endpoint: request.endpoint)
    }

    public func subscribe(to filter: TopicFilter, qos: MQTTQoS) async throws -> OperationOutcome {
        await connection.run(.subscribe([.init(filter: filter, qos: qos)]), version: version)
    }

    public func subscribe(_ request: SubscribeRequest) async throws -> OperationOutcome {
        await connection.run(.subscribe(request.subscriptions, properties: request.properties), version: version)
    }

    public func unsubscribe(from filter: TopicFilter) async throws -> OperationOutcome {
        await connection.run(.unsubscribe([filter]), version: version)
    }

    public func unsubscribe(_ request: UnsubscribeRequest) async throws -> OperationOutcome {
        await connection.run(.unsubscribe(request.filters, properties: request.properties), version: version)
    }

    public func publish(_ topic: TopicName, payload: String, qos: MQTTQoS, retain: Bool) async throws -> OperationOutcome {
        await connection.run(.publish(ApplicationMessage(topic: topic, payload: ByteBuffer(string: payload), qos: qos, retain: retain)), version: version)
    }

    public func publish(_ request: PublishRequest) async throws -> OperationOutcome {
        await connection.run(.publish(request), version: version)
    }

    /// MQTT 5.0: starts a re-authentication (AUTH 0x19) with the settings'
    /// ``GenericClientSettings/authentication``, returning once the broker's AUTH Success
    /// arrived or the connection ended.
    public func reauthenticate() async -> OperationOutcome {
        await connection.run(.reauthenticate, version: version)
    }

    /// The limits of the current (or last) connection: what its CONNECT and CONNACK
    /// announced (MQTT 5.0).
    public func connectionLimits() async -> ConnectionLimits? {
        await connection.session()?.limits
    }

    /// Drops the connection without DISCONNECT, so the broker publishes the will.
    public func restart() async throws {
        await connection.restart()
    }

    /// Sends DISCONNECT and returns once the connection is closed.
    /// - Throws: ``DisconnectFailure`` when there was nothing to close cleanly (the connection
    ///   is still opening, or another disconnect is under way).
    public func disconnect() async throws {
        try await disconnect(DisconnectRequest())
    }

    /// Sends DISCONNECT with the request's reason code and properties (MQTT 5.0) and returns
    /// once the connection is closed.
    /// - Throws: ``DisconnectFailure`` as ``disconnect()``, and when a 3.1.1 client is asked
    ///   for a reason code or properties.
    public func disconnect(_ request: DisconnectRequest) async throws {
        let operation: MQTTClientSession.Operation = request.needsMQTT5 ? .disconnectWithReason(request.reasonCode, properties: request.properties) : .disconnect
        switch await connection.run(operation) {
        case .connectionEnded(let reason): throw DisconnectFailure(description: "cannot disconnect: \(reason)")
        case .unsupported(let reason): throw DeviceError.unsupported(id, reason: reason)
        case .answered, .protocolViolation, .refused: break
        }
    }

    public func shutdown() async {
        await connection.shutdown()
    }
}

/// Why ``GenericClient/disconnect()`` could not disconnect.
public struct DisconnectFailure: Error, Sendable, CustomStringConvertible {
    public var description: String
}
