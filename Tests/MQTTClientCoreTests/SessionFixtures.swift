import HarnessTestSupport
import MQTTClientCore
import MQTTCore
import NIOCore

let second: Int64 = 1_000_000_000

/// A session with `configuration` that connected with `options` (operation 1) at `time` and
/// was accepted.
func connectedSession(
    _ configuration: MQTTClientConfiguration = MQTTClientConfiguration(),
    options: ConnectOptions = ConnectOptions(clientID: "c"),
    at time: Int64 = 0
) -> MQTTClientSession {
    var session = MQTTClientSession(configuration: configuration)
    _ = session.start(.connect(options), id: 1, now: time)
    _ = session.transportConnected(now: time)
    _ = session.packetReceived(.connack(ConnAckPacket(returnCode: .accepted)), now: time)
    return session
}

func message(_ payload: String, qos: MQTTQoS = .atMostOnce) -> ApplicationMessage {
    ApplicationMessage(topic: topicName("a/b"), payload: ByteBuffer(string: payload), qos: qos)
}

extension MQTTClientSession {
    /// Publishes `message` as operation `id`; returns the packet identifier it went out with.
    mutating func publishedID(_ message: ApplicationMessage, id: OperationID, now: Int64 = 0) -> UInt16? {
        guard case .publish(let publish)? = start(.publish(message), id: id, now: now).sentPackets.first else { return nil }
        return publish.packetID
    }
}
