import MQTTClientCore
import MQTTCore

/// What a generic client does beyond the ``ConnectRequest``: the MQTT version it speaks, its
/// will, whether it acknowledges received messages, whether it pings, and how it answers an
/// MQTT 5.0 authentication exchange.
public struct GenericClientSettings: Sendable, Hashable {
    /// The MQTT version the client speaks. Default: 3.1.1.
    public var protocolVersion: MQTTProtocolVersion
    /// The will sent with every CONNECT; `nil` for none. In MQTT 5.0 its
    /// ``ApplicationMessage/properties`` are the will properties (will delay interval, message
    /// expiry interval, content type, response topic, correlation data, payload format
    /// indicator, user properties).
    public var will: ConnectPacket.Will?
    /// Whether received QoS 1 and QoS 2 messages are acknowledged (PUBACK, PUBREC). Off, the
    /// broker keeps them in flight and redelivers them with DUP after a reconnect.
    public var acknowledgesMessages: Bool
    /// Whether the client sends PINGREQ when it has been silent for the keep-alive period.
    public var sendsPings: Bool
    /// MQTT 5.0: the answers to the broker's AUTH challenges; `nil`: none.
    public var authentication: AuthenticationPolicy?

    public init(
        protocolVersion: MQTTProtocolVersion = .v311,
        will: ConnectPacket.Will? = nil,
        acknowledgesMessages: Bool = true,
        sendsPings: Bool = true,
        authentication: AuthenticationPolicy? = nil
    ) {
        self.protocolVersion = protocolVersion
        self.will = will
        self.acknowledgesMessages = acknowledgesMessages
        self.sendsPings = sendsPings
        self.authentication = authentication
    }

    /// The client session's configuration: a full MQTT client of the settings' version (QoS
    /// 0, 1 and 2 both ways) that reports every PUBLISH it reads and every protocol violation
    /// of the broker, never reconnects by itself and never stops; the harness drives every
    /// connection. In 5.0 several operations may wait at once, so that publishes beyond the
    /// broker's Receive Maximum queue (flow control) instead of being refused.
    public var configuration: MQTTClientConfiguration {
        MQTTClientConfiguration(
            name: "client",
            protocolVersion: protocolVersion,
            authentication: authentication,
            keepAlive: sendsPings ? .afterLastSent : .off,
            acknowledgements: acknowledgesMessages ? .all : .releasesOnly,
            deliversQoS2Duplicates: true,
            protocolViolations: .report,
            allowsConcurrentOperations: protocolVersion == .v5
        )
    }

    /// The CONNECT options for `request`, with the settings' will.
    public func connectOptions(for request: ConnectRequest) -> ConnectOptions {
        request.connectOptions(will: will)
    }
}
