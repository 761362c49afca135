import HarnessTestSupport
import MQTTClientCore
import MQTTCore
import NIOCore

/// An MQTT 5.0 client configuration (concurrent operations on, so tests can keep several
/// publishes in flight).
func v5(_ authentication: AuthenticationPolicy? = nil, acknowledgements: AcknowledgementPolicy = .all) -> MQTTClientConfiguration {
    MQTTClientConfiguration(protocolVersion: .v5, authentication: authentication, acknowledgements: acknowledgements, allowsConcurrentOperations: true)
}

/// Properties from a list; the tests' lists are always valid.
func props(_ list: [MQTTProperty]) -> MQTTProperties {
    (try? MQTTProperties(list)) ?? MQTTProperties()
}

/// A 5.0 session that sent CONNECT with `connect` properties and got a CONNACK with `connack`
/// properties (Success).
func connected5(
    _ configuration: MQTTClientConfiguration = v5(),
    connect: [MQTTProperty] = [],
    connack: [MQTTProperty] = [],
    keepAlive: UInt16 = 0
) -> MQTTClientSession {
    var session = MQTTClientSession(configuration: configuration)
    _ = session.start(.connect(ConnectOptions(clientID: "c", keepAlive: keepAlive, properties: props(connect))), id: 1, now: 0)
    _ = session.transportConnected(now: 0)
    _ = session.packetReceived(.connack(ConnAckPacket(reasonCode: .success, properties: props(connack))), now: 0)
    return session
}

extension Array where Element == MQTTClientSession.Action {
    /// The outcomes these actions complete, by operation.
    var outcomes: [MQTTClientSession.OperationID: MQTTClientSession.Outcome] {
        var outcomes: [MQTTClientSession.OperationID: MQTTClientSession.Outcome] = [:]
        for case .complete(let id, let outcome) in self { outcomes[id] = outcome }
        return outcomes
    }

    /// The DISCONNECT these actions send, if any.
    var sentDisconnect: DisconnectPacket? {
        for case .disconnect(let packet) in sentPackets { return packet }
        return nil
    }

    /// Whether these actions close the connection.
    var closes: Bool { contains(.closeTransport) }

    /// The protocol violations these actions report.
    var violations: [String] {
        compactMap { if case .report(.protocolViolation(let text)) = $0 { text } else { nil } }
    }
}

/// A PUBLISH from the broker.
func incoming(_ topic: String, qos: MQTTQoS = .atMostOnce, id: UInt16? = nil, properties: [MQTTProperty] = []) -> PublishPacket {
    PublishPacket(topic: topicName(topic), payload: ByteBuffer(string: "p"), qos: qos, packetID: id, properties: props(properties))
}
