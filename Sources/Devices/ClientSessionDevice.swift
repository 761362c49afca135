import IoTHubCore
import MQTTClient
import MQTTClientCore
import MQTTCore
import NIOCore

/// Reports a device's events to its observer, stamped on the run's monotonic clock.
struct DeviceReporter: Sendable {
    let deviceID: DeviceID
    let monotonic: any MonotonicClock
    let observer: (@Sendable (DeviceEventRecord) -> Void)?

    func report(_ event: DeviceEvent) {
        observer?(DeviceEventRecord(timestamp: monotonic.nanoseconds(), deviceID: deviceID, event: event))
    }

    /// Reports what the client driver hands out the same way for every device on the
    /// client engine; the device handles deliveries, raw reads and errors itself.
    func relay(_ output: MQTTClientDriver.Output) {
        switch output {
        case .connecting(let endpoint): report(.connecting(host: endpoint.host, port: endpoint.port))
        case .report(let event): if let event = DeviceEvent(event) { report(event) }
        case .deliver(let publish): report(.messageReceived(topic: publish.topic, payload: publish.payload, qos: publish.qos))
        case .bytesReceived, .packetReceived, .transportError: break
        }
    }
}

extension ConnectRequest {
    /// Where the device's client connects.
    var endpoint: BrokerEndpoint {
        BrokerEndpoint(host: host, port: port, tls: tls, transport: transport)
    }

    /// The CONNECT this request asks for, with `will`.
    func connectOptions(will: ApplicationMessage? = nil) -> ConnectOptions {
        ConnectOptions(
            clientID: clientID,
            cleanSession: cleanSession,
            keepAlive: keepAlive,
            will: will,
            username: username,
            password: password.map { ByteBuffer(string: $0) },
            properties: properties
        )
    }
}

extension MQTTClientConnection {
    /// Runs a device operation: its outcome as the device protocol reports it (a refusal for
    /// an MQTT 5.0 answer with a failure code, when `version` is 5.0).
    func run(_ operation: MQTTClientSession.Operation, endpoint: BrokerEndpoint? = nil, version: MQTTProtocolVersion = .v311) async -> OperationOutcome {
        OperationOutcome(await perform(operation, endpoint: endpoint), version: version)
    }

    /// Connects: the outcome as the device protocol reports it, with the CONNACK's code (in
    /// MQTT 5.0 a refused CONNACK is a refusal naming its reason).
    func connect(_ options: ConnectOptions, endpoint: BrokerEndpoint, version: MQTTProtocolVersion = .v311) async -> ConnectAnswer {
        let outcome = await perform(.connect(options), endpoint: endpoint)
        if case .answered(.connack(let connack)) = outcome {
            return ConnectAnswer(outcome: OperationOutcome(outcome, version: version), returnCode: connack.returnCode)
        }
        return ConnectAnswer(outcome: OperationOutcome(outcome), returnCode: nil)
    }
}

extension OperationOutcome {
    /// A client session's outcome as a device operation's. In MQTT 5.0 an answer with a
    /// failure code (0x80 or more) is a refusal naming it; in 3.1.1 every answer is an
    /// answer, whatever its code, as it always was.
    init(_ outcome: MQTTClientSession.Outcome, version: MQTTProtocolVersion) {
        if version == .v5, case .answered(let packet) = outcome {
            let failures: [MQTTReasonCode] = switch packet {
            case .connack(let connack): [connack.reasonCode]
            case .suback(let suback): suback.reasonCodes
            case .unsuback(let unsuback): unsuback.reasonCodes
            case .puback(let ack), .pubrec(let ack): [ack.reasonCode]
            default: []
            }
            let refused = failures.filter(\.isFailure)
            if !refused.isEmpty {
                self = .refused(refused, in: packet.type, properties: packet.properties)
                return
            }
        }
        self.init(outcome)
    }

    /// A client session's outcome as a device operation's.
    init(_ outcome: MQTTClientSession.Outcome) {
        switch outcome {
        case .answered, .done: self = .answered
        case .connectionEnded(let reason): self = .connectionEnded(reason: reason)
        case .unsupported(let reason): self = .unsupported(reason: reason)
        case .protocolViolation(let reason): self = .protocolViolation(reason: reason)
        }
    }
}

extension DeviceEvent {
    /// A client session's event as the device's; `nil` for those the packet record already
    /// shows (a broker's DISCONNECT is reported in words by the ``disconnected(reason:)`` that
    /// follows it; an AUTH challenge is a packet).
    init?(_ event: MQTTClientSession.Event) {
        switch event {
        case .transportConnected: self = .transportConnected
        case .transportFailed(let reason): self = .transportFailed(reason: reason)
        case .connAckReceived(let connack): self = .connAckReceived(connack)
        case .subAckReceived(let suback): self = .subAckReceived(suback)
        case .bytesSent(let bytes): self = .bytesSent(bytes)
        case .disconnected(let reason): self = .disconnected(reason: reason)
        case .stopped(let reason): self = .crashed(reason: reason)
        case .restarted: self = .restarted
        case .reconnecting(let attempt): self = .reconnecting(attempt: attempt)
        case .renewingToken: self = .renewingToken
        case .tokenFailed(let reason): self = .tokenFailed(reason: reason)
        case .protocolViolation(let violation): self = .protocolViolation(violation)
        case .serverDisconnected, .authenticationChallenge: return nil
        }
    }
}
