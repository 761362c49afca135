import IoTHubCore
import MQTTClient
import MQTTClientCore
import MQTTCore
import NIOCore

/// What the harness needs to connect a device: where the broker is and the credentials the
/// device presents.
public struct ConnectRequest: Sendable, Hashable {
    public var host: String
    public var port: Int
    public var clientID: String
    public var username: String?
    /// The password (a SAS token on IoT Hub). Secret.
    public var password: String?
    /// Clean session; in MQTT 5.0 the Clean Start flag.
    public var cleanSession: Bool
    public var keepAlive: UInt16
    /// MQTT 5.0 CONNECT properties (session expiry interval, receive maximum, maximum packet
    /// size, topic alias maximum, request response/problem information, authentication
    /// method and data, user properties). Empty for MQTT 3.1.1; a device that speaks 3.1.1
    /// refuses a connect that has some.
    public var properties: MQTTProperties = .none
    /// TLS to the broker; `nil` for plain TCP.
    public var tls: ClientTLS?
    /// How MQTT travels: directly, or over WebSockets. Default: directly.
    public var transport: BrokerTransport = .direct

    public init(
        host: String,
        port: Int,
        clientID: String,
        username: String? = nil,
        password: String? = nil,
        cleanSession: Bool,
        keepAlive: UInt16,
        tls: ClientTLS? = nil
    ) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.username = username
        self.password = password
        self.cleanSession = cleanSession
        self.keepAlive = keepAlive
        self.tls = tls
    }
}

/// How a blocking device operation (connect, subscribe) ended.
public enum OperationOutcome: Sendable, Hashable {
    /// The peer answered (CONNACK or SUBACK, whatever its code).
    case answered
    /// The connection closed or failed first; `reason` says how.
    case connectionEnded(reason: String)
    /// The device's client cannot do this (for example umqtt.simple has no unsubscribe).
    case unsupported(reason: String)
    /// The peer answered in a way the specification forbids; `reason` says what it did and
    /// which rule it broke.
    case protocolViolation(reason: String)
    /// The broker refused the operation with an MQTT 5.0 reason code of 0x80 or more (a
    /// CONNACK, SUBACK, UNSUBACK, PUBACK or PUBREC): it did not do what was asked. `reason`
    /// names the codes (see ``refused(_:in:properties:)``).
    case refused(reason: String)

    /// The outcome of an operation the broker refused with `code` in a `packet`:
    /// `refused: not_authorized (0x87)`; for a SUBACK or UNSUBACK, the codes of each filter.
    /// The broker's reason string follows when it sent one, and a server reference (a CONNACK
    /// redirecting the client) is reported as a redirection that was not followed.
    public static func refused(_ codes: [MQTTReasonCode], in packet: MQTTPacketType, properties: MQTTProperties = .none) -> OperationOutcome {
        var text = "refused: " + codes.map { MQTTClientSession.reasonText($0, in: packet) }.joined(separator: ", ")
        if let reason = properties.reasonString {
            text += ", reason string \(MQTTPacket.describePayload(ByteBuffer(string: reason), limit: 200))"
        }
        if let reference = properties.serverReference {
            text += "; the broker redirected the client to \(MQTTPacket.describePayload(ByteBuffer(string: reference), limit: 200)) (not followed)"
        }
        return .refused(reason: text)
    }

    /// The broker's refusal, when the operation was refused (``refused(_:in:)``): `refused:
    /// not_authorized (0x87)`.
    public var refusal: String? {
        if case .refused(let reason) = self { reason } else { nil }
    }
}

/// A device under test. The harness drives it through these operations and observes it
/// through ``DeviceEventRecord``s.
public protocol Device: AnyObject, Sendable {
    var id: DeviceID { get }

    /// Connects as the device's firmware does, returning once CONNACK arrived or the
    /// connection ended.
    func connect(_ request: ConnectRequest) async throws -> OperationOutcome

    /// Subscribes as the device's firmware does, returning once SUBACK arrived or the
    /// connection ended.
    func subscribe(to filter: TopicFilter, qos: MQTTQoS) async throws -> OperationOutcome

    /// Unsubscribes, returning once UNSUBACK arrived or the connection ended.
    func unsubscribe(from filter: TopicFilter) async throws -> OperationOutcome

    /// Publishes as the firmware does, returning once PUBACK arrived (QoS 1) or at once (QoS 0).
    func publish(_ topic: TopicName, payload: String, qos: MQTTQoS, retain: Bool) async throws -> OperationOutcome

    /// Power-cycles the device: the connection drops without DISCONNECT and its program
    /// starts again (a process or board runs its firmware again; a simulated device waits
    /// for the next connect).
    func restart() async throws

    /// Sends DISCONNECT and closes the connection.
    func disconnect() async throws

    /// Subscribes with the request's options and properties (MQTT 5.0), returning once
    /// SUBACK arrived or the connection ended. A SUBACK refusing a filter makes the outcome
    /// a refusal naming its code (``OperationOutcome/refused(_:in:)``). Device kinds that
    /// speak 3.1.1 only refuse 5.0 content (``DeviceError/unsupported(_:reason:)``).
    func subscribe(_ request: SubscribeRequest) async throws -> OperationOutcome

    /// Unsubscribes with the request's properties (MQTT 5.0), returning once UNSUBACK arrived.
    func unsubscribe(_ request: UnsubscribeRequest) async throws -> OperationOutcome

    /// Publishes with the request's properties (MQTT 5.0), returning once the QoS exchange
    /// completed (at once at QoS 0). A PUBACK or PUBREC with a failure code makes the outcome
    /// a refusal.
    func publish(_ request: PublishRequest) async throws -> OperationOutcome

    /// Sends DISCONNECT with the request's reason code and properties (MQTT 5.0) and closes.
    func disconnect(_ request: DisconnectRequest) async throws

    /// Stops the device and releases its resources.
    func shutdown() async
}

/// A device whose program prints output (a firmware process, a board's console), so reports
/// can show how it ended.
public protocol OutputTailing: Device {
    /// The last `count` lines the program printed, secrets masked.
    func outputTail(lines count: Int) -> [String]
}

/// Why a device operation could not be carried out at all.
public enum DeviceError: Error, Sendable, Hashable, CustomStringConvertible {
    case notConnected(DeviceID)
    case alreadyConnected(DeviceID)
    case crashed(DeviceID, reason: String)
    /// The device cannot do this; `reason` says why and what to do instead.
    case unsupported(DeviceID, reason: String)

    public var description: String {
        switch self {
        case .notConnected(let id): "device '\(id)' is not connected"
        case .alreadyConnected(let id): "device '\(id)' is already connected"
        case .crashed(let id, let reason): "device '\(id)' has stopped: \(reason)"
        case .unsupported(let id, let reason): "device '\(id)' cannot do this: \(reason)"
        }
    }
}
