import Foundation
import IoTHubCore
import MQTTClient
import MQTTClientCore
import MQTTCore
import NIOCore

/// Carries out one Device Provisioning Service registration for a harness device, as the
/// SDKs' provisioning clients do: its own MQTT connection to the service (client id the
/// registration id, a registration token or the device's certificate), driven by the pure
/// ``ProvisioningRegistration``. Every wait is bounded: the whole registration by `timeout`.
struct ProvisioningClient {
    /// Why a registration has no answer from the service (a refusal is an answer).
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    var idScope: String
    var registrationID: String
    var credential: ProvisioningCredential
    var endpoint: BrokerEndpoint
    var environment: RunEnvironment
    var tap: (any PacketTap)?

    /// Registers, waiting the service's `retry-after` between status polls.
    /// - Returns: the service's final answer, or why there was none by `timeout`.
    func register(tokenExpiry: Int64, timeout: Duration) async -> Result<ProvisioningResult, Failure> {
        let machine = ProvisioningRegistration(idScope: idScope, registrationID: registrationID)
        let (messages, continuation) = AsyncStream<PublishPacket>.makeStream()
        let connection = MQTTClientConnection(
            configuration: MQTTClientConfiguration(name: "dps", protocolViolations: .close, allowsConcurrentOperations: true),
            settings: MQTTClientDriver.Settings(tap: tap, packetClock: environment.clock, sessionClock: .monotonic(environment.clock)),
            eventLoop: environment.group.next()
        ) { output in
            switch output {
            case .deliver(let publish): continuation.yield(publish)
            case .report(.disconnected), .report(.transportFailed), .report(.stopped): continuation.finish()
            default: break
            }
        }
        var password: ByteBuffer?
        if case .symmetricKey(let key) = credential { password = ByteBuffer(string: machine.password(key: key, expiry: tokenExpiry)) }
        let options = ConnectOptions(clientID: registrationID, username: machine.username, password: password)
        let endpoint = self.endpoint
        let outcome: Result<ProvisioningResult, Failure>?
        do {
            outcome = try await withTimeout(timeout) { [initial = machine] () async -> Result<ProvisioningResult, Failure> in
                var machine = initial
                switch await connection.perform(.connect(options), endpoint: endpoint) {
                case .answered(.connack(let connack)) where connack.returnCode == .accepted: break
                case .answered(.connack(let connack)):
                    // Refused before any request (an unknown ID scope): a refusal, with no status.
                    return .success(ProvisioningResult(status: .refused, responseStatus: 0, message: "CONNACK \(connack.returnCode)", polls: 0))
                case let other: return .failure(Failure(description: "no CONNACK from the service: \(Self.reason(other))"))
                }
                guard let filter = try? TopicFilter(ProvisioningRegistration.responseFilter) else { return .failure(Failure(description: "internal: the response filter")) }
                switch await connection.perform(.subscribe([.init(filter: filter, qos: .atLeastOnce)])) {
                case .answered(.suback(let suback)) where !suback.returnCodes.contains(.failure): break
                case let other: return .failure(Failure(description: "the subscription to \(filter) was not granted: \(Self.reason(other))"))
                }
                var action = machine.start()
                var iterator = messages.makeAsyncIterator()
                while true {
                    switch action {
                    case .finish(let result):
                        return .success(result)
                    case .publish(let topic, let payload, let delay):
                        if delay > 0 { try? await Task.sleep(for: .seconds(delay)) }
                        guard let name = try? TopicName(topic) else { return .failure(Failure(description: "internal: request topic \(topic)")) }
                        let sent = await connection.perform(.publish(ApplicationMessage(topic: name, payload: ByteBuffer(string: payload), qos: .atLeastOnce)))
                        if case .connectionEnded(let reason) = sent { return .failure(Failure(description: "the connection to the service ended: \(reason)")) }
                    }
                    var next: ProvisioningRegistration.Action?
                    while next == nil {
                        guard let message = await iterator.next() else {
                            return .failure(Failure(description: "the service closed the connection after \(machine.polls) status poll(s) without a final answer"))
                        }
                        next = machine.receive(topic: message.topic.string, payload: Array(message.payload.readableBytesView))
                    }
                    if let next { action = next }
                }
            }
        } catch {
            outcome = .failure(Failure(description: "\(error)"))
        }
        continuation.finish()
        _ = await connection.perform(.disconnect)
        await connection.close()
        return outcome ?? .failure(Failure(description: "no final answer from the service within \(ScenarioDuration.format(timeout))"))
    }

    private static func reason(_ outcome: MQTTClientSession.Outcome) -> String {
        switch outcome {
        case .connectionEnded(let reason), .unsupported(let reason), .protocolViolation(let reason): reason
        case .answered(let packet): "answered \(packet.type)"
        case .done: "done without an answer"
        }
    }
}
