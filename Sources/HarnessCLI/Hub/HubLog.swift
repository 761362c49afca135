import Foundation
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import Reporting
import Synchronization

/// The `harness hub` console log: one line per connection event, packet and service request,
/// with every secret (device and policy keys, `sig=`, `SharedAccessKey=`) masked.
final class HubLog: PacketTap, Sendable {
    private let redactor: Mutex<SecretRedactor>
    private let output: @Sendable (String) -> Void
    /// Whether every packet is logged (otherwise the hub needs no packet tap at all).
    let showsPackets: Bool
    let showsEvents: Bool

    /// - Parameters:
    ///   - showsPackets: log every packet.
    ///   - showsEvents: log connections, C2D, twin and method events and service requests.
    init(showsPackets: Bool, showsEvents: Bool = true, output: @escaping @Sendable (String) -> Void) {
        self.redactor = Mutex(SecretRedactor())
        self.output = output
        self.showsPackets = showsPackets && showsEvents
        self.showsEvents = showsEvents
    }

    /// Masks `secret` wherever it appears from now on.
    func register(secret: String) {
        redactor.withLock { $0.register(secret) }
    }

    /// Prints a line after masking secrets and escaping control characters, so that nothing
    /// a peer sent (a client id, a user name, a topic, an HTTP path) can start a line of its
    /// own or drive the terminal.
    func print(_ line: String) {
        let masked = redactor.withLock { $0.redact(line) }
        output(ControlCharacterEscaping.escape(masked))
    }

    /// Prints a line with a wall-clock time stamp.
    func log(_ line: String) {
        print("\(Self.timestamp()) \(line)")
    }

    func record(_ record: PacketRecord) {
        guard showsPackets else { return }
        let arrow = record.direction == .inbound ? "<-" : "->"
        let summary = record.packet.summary
        log("#\(record.connection) \(arrow) \(record.packet.type)\(summary.isEmpty ? "" : " \(summary)") (\(record.size) bytes)")
    }

    func event(_ record: HubEventRecord) {
        guard showsEvents else { return }
        log(Self.describe(record.event))
    }

    func request(_ request: ServiceRequest, _ response: ServiceResponse) {
        guard showsEvents else { return }
        log("service: \(request.method) \(request.path) -> \(response.status)\(response.headers["iothub-errorcode"].map { " \($0)" } ?? "")")
    }

    static func describe(_ event: HubEvent) -> String {
        switch event {
        case .connected(let id, let connection, let clean, let present, let keepAlive):
            "#\(connection) \(id) connected (clean_session=\(clean ? 1 : 0), session_present=\(present ? 1 : 0), keepalive=\(keepAlive))"
        case .connectionRefused(let clientID, let connection, let code, let reason):
            "#\(connection) refused '\(clientID)' with CONNACK \(code): \(reason)"
        case .disconnected(let id, let connection, let reason):
            "#\(connection) \(id.map { "\($0)" } ?? "connection") disconnected: \(reason)"
        case .subscribed(let id, let filter, let qos):
            "\(id) subscribed to \(filter), granted QoS \(qos)"
        case .unsubscribed(let id, let filter):
            "\(id) unsubscribed from \(filter)"
        case .cloudToDeviceEnqueued(let id, let messageID, let depth):
            "C2D \(messageID) queued for \(id) (queue depth \(depth))"
        case .cloudToDeviceDelivered(let id, let messageID, let qos, let duplicate):
            "C2D \(messageID) delivered to \(id) at QoS \(qos)\(duplicate ? " (redelivery)" : "")"
        case .cloudToDeviceCompleted(let id, let messageID):
            "C2D \(messageID) completed by \(id)"
        case .cloudToDeviceDeadLettered(let id, let messageID, let reason):
            "C2D \(messageID) for \(id) dead-lettered: \(reason)"
        case .cloudToDeviceRejected(let id, let reason):
            "C2D for \(id) rejected: \(reason)"
        case .telemetry(let id, let properties, let payload):
            "telemetry from \(id)\(properties.isEmpty ? "" : " [\(properties.encoded)]") \(MQTTPacket.describePayload(payload))"
        case .clockAdvanced(let duration):
            "clock advanced by \(duration)"
        case .twin(let event):
            "twin: \(event)"
        case .directMethod(let event):
            "\(event)"
        case .fault(let event):
            "fault: \(event)"
        case .provisioning(let event):
            "DPS: \(event)"
        }
    }

    private static func timestamp() -> String {
        let now = Date()
        let components = Calendar.current.dateComponents([.hour, .minute, .second, .nanosecond], from: now)
        return String(
            format: "%02d:%02d:%02d.%03d",
            components.hour ?? 0,
            components.minute ?? 0,
            components.second ?? 0,
            (components.nanosecond ?? 0) / 1_000_000
        )
    }

}
