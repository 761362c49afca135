import MQTTClientCore
import MQTTCore

/// What a generic client does beyond the ``ConnectRequest``: its will, whether it
/// acknowledges received messages, and whether it pings.
public struct GenericClientSettings: Sendable, Hashable {
    /// The will sent with every CONNECT; `nil` for none.
    public var will: ConnectPacket.Will?
    /// Whether received QoS 1 and QoS 2 messages are acknowledged (PUBACK, PUBREC). Off, the
    /// broker keeps them in flight and redelivers them with DUP after a reconnect.
    public var acknowledgesMessages: Bool
    /// Whether the client sends PINGREQ when it has been silent for the keep-alive period.
    public var sendsPings: Bool

    public init(will: ConnectPacket.Will? = nil, acknowledgesMessages: Bool = true, sendsPings: Bool = true) {
        self.will = will
        self.acknowledgesMessages = acknowledgesMessages
        self.sendsPings = sendsPings
    }

    /// The client session's configuration: a full MQTT 3.1.1 client (QoS 0, 1 and 2 both
    /// ways) that reports every PUBLISH it reads and every protocol violation of the broker,
    /// never reconnects by itself and never stops; the harness drives every connection.
    public var configuration: MQTTClientConfiguration {
        MQTTClientConfiguration(
            name: "client",
            keepAlive: sendsPings ? .afterLastSent : .off,
            acknowledgements: acknowledgesMessages ? .all : .releasesOnly,
            deliversQoS2Duplicates: true,
            protocolViolations: .report
        )
    }

    /// The CONNECT options for `request`, with the settings' will.
    public func connectOptions(for request: ConnectRequest) -> ConnectOptions {
        request.connectOptions(will: will)
    }
}
