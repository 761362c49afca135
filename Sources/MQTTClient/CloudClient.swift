import MQTTClientCore
import MQTTCore
import NIOCore
import Synchronization

/// The harness's own MQTT connection to a real broker: it plays the cloud side of a scenario
/// (publishes C2D messages to a device's topic, watches telemetry). An ``MQTTClientConnection``
/// configured as an application client: several operations in flight at once, every message
/// acknowledged, a PINGREQ every half keep-alive; refusals become errors.
public final class CloudClient: Sendable {
    /// An operation the broker refused or that could not complete.
    public struct OperationError: Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// The keep-alive a cloud connection announces, in seconds, unless told otherwise.
    public static let defaultKeepAlive: UInt16 = 60

    /// The session's configuration for a cloud connection with `keepAlive` seconds: it pings
    /// at half that interval.
    public static func configuration(keepAlive: UInt16) -> MQTTClientConfiguration {
        MQTTClientConfiguration(
            name: "cloud",
            keepAlive: .every(.milliseconds(Int64(keepAlive) * 500)),
            protocolViolations: .close,
            allowsConcurrentOperations: true
        )
    }

    private let connection: MQTTClientConnection

    private init(connection: MQTTClientConnection) {
        self.connection = connection
    }

    /// Connects to `endpoint` with `options` and waits for CONNACK 0.
    /// - Parameter onMessage: receives every application message, on the client's loop.
    /// - Throws: ``OperationError`` for a connection that failed or a refused CONNECT.
    public static func connect(
        to endpoint: BrokerEndpoint,
        _ options: ConnectOptions,
        group: any EventLoopGroup,
        onMessage: @escaping @Sendable (PublishPacket) -> Void = { _ in }
    ) async throws -> CloudClient {
        let transportUp = Atomic<Bool>(false)
        let connection = MQTTClientConnection(configuration: configuration(keepAlive: options.keepAlive), eventLoop: group.next()) { output in
            switch output {
            case .deliver(let publish): onMessage(publish)
            case .report(.transportConnected): transportUp.store(true, ordering: .relaxed)
            default: break
            }
        }
        let outcome = await connection.perform(.connect(options), endpoint: endpoint)
        switch (outcome, failure(of: outcome)) {
        case (_, nil):
            return CloudClient(connection: connection)
        case (.connectionEnded, _) where transportUp.load(ordering: .relaxed):
            // The channel closed after it opened: a TLS handshake the broker or we refused.
            throw OperationError(description: "the connection closed before CONNACK (for TLS: is the broker's CA trusted?)")
        case (_, let failure?):
            await connection.close()
            throw failure
        }
    }

    /// Subscribes and waits for SUBACK.
    /// - Throws: ``OperationError`` when the broker refused (0x80) or the connection ended.
    public func subscribe(to filter: TopicFilter, qos: MQTTQoS) async throws {
        try await run(.subscribe([.init(filter: filter, qos: qos)]))
    }

    /// Publishes and waits for the QoS handshake to finish.
    public func publish(_ topic: TopicName, payload: ByteBuffer, qos: MQTTQoS = .atLeastOnce, retain: Bool = false) async throws {
        try await run(.publish(ApplicationMessage(topic: topic, payload: payload, qos: qos, retain: retain)))
    }

    /// Sends DISCONNECT and waits for the close.
    public func close() async {
        _ = await connection.perform(.disconnect)
    }

    private func run(_ operation: MQTTClientSession.Operation) async throws {
        guard await connection.session()?.isConnected == true else {
            throw OperationError(description: "the cloud connection to the broker is closed")
        }
        if let failure = Self.failure(of: await connection.perform(operation)) { throw failure }
    }

    /// Why `outcome` is a failure, or `nil` when the operation succeeded: a refused CONNECT or
    /// subscription fails, as does every operation that did not finish.
    static func failure(of outcome: MQTTClientSession.Outcome) -> OperationError? {
        switch outcome {
        case .answered(.connack(let connack)) where connack.returnCode != .accepted:
            OperationError(description: "CONNACK \(connack.returnCode)")
        case .answered(.suback(let suback)) where suback.returnCodes.contains(.failure):
            OperationError(description: "SUBACK 0x80")
        case .answered, .done:
            nil
        case .connectionEnded(let reason), .unsupported(let reason), .protocolViolation(let reason):
            OperationError(description: reason)
        }
    }
}
