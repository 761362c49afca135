import IoTHubCore
import MQTTClient
import MQTTClientCore
import MQTTCore
import NIOCore

/// A full MQTT 3.1.1 client (scenario device kind `client`): QoS 0, 1 and 2 both ways,
/// retain, will, any client id, clean session 0 or 1, keep-alive pings on or off, optional
/// acknowledgements, and raw bytes. It is the client engine configured by its
/// ``GenericClientSettings``; it talks to the broker over a real socket with the harness's
/// codec, so its packet tap sees every packet.
public final class GenericClient: RawByteSending, ConnAckReporting {
    public let id: DeviceID
    private let settings: GenericClientSettings
    private let connection: MQTTClientConnection

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
        await connection.connect(settings.connectOptions(for: request), endpoint: request.endpoint)
    }

    public func sendBytes(_ bytes: ByteBuffer, opening request: ConnectRequest) async throws -> OperationOutcome {
        await connection.run(.write(.bytes(bytes)), endpoint: request.endpoint)
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

    /// Drops the connection without DISCONNECT, so the broker publishes the will.
    public func restart() async throws {
        await connection.restart()
    }

    /// Sends DISCONNECT and returns once the connection is closed.
    /// - Throws: ``DisconnectFailure`` when there was nothing to close cleanly (the connection
    ///   is still opening, or another disconnect is under way).
    public func disconnect() async throws {
        if case .connectionEnded(let reason) = await connection.run(.disconnect) {
            throw DisconnectFailure(description: "cannot disconnect: \(reason)")
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
