import MQTTCore

/// How one client behaves where MQTT clients differ. The session's protocol rules (packet
/// identifiers, QoS handshakes, keep-alive, operation completion) are the same for every
/// client; these settings and small policies are all that makes a umqtt device, the Python
/// SDK, the harness's generic client or its cloud connection.
public struct MQTTClientConfiguration: Sendable, Hashable {
    /// The client's name in messages, for example `umqtt-simple has no unsubscribe()`.
    /// Default: `client`.
    public var name: String
    /// The MQTT version the client speaks. Default: 3.1.1.
    public var protocolVersion: MQTTProtocolVersion
    /// MQTT 5.0 enhanced authentication: the data the client answers the broker's AUTH
    /// challenges with. The method is the CONNECT's `authentication_method` property.
    /// Default: `nil` (a challenge is answered with no more data, which ends the attempt).
    public var authentication: AuthenticationPolicy?
    /// Who pings and when. Default: ``KeepAlivePolicy/afterLastSent``.
    public var keepAlive: KeepAlivePolicy
    /// Which of the broker's QoS 1 and 2 packets the client answers by itself. Default:
    /// ``AcknowledgementPolicy/all``.
    public var acknowledgements: AcknowledgementPolicy
    /// Whether a QoS 2 PUBLISH whose identifier still waits for PUBREL is delivered again.
    /// A client that reports every PUBLISH it reads (the generic client) says yes; an
    /// application client delivers a QoS 2 message once. Default: false.
    public var deliversQoS2Duplicates: Bool
    /// Whether the client speaks QoS 2. Without it (umqtt) publishing at QoS 2 is refused as
    /// unsupported and a QoS 2 PUBLISH received is an error (see ``ProgramPolicy``).
    /// Default: true.
    public var supportsQoS2: Bool
    /// Whether the client library can unsubscribe (umqtt.simple 1.3.4 cannot). Default: true.
    public var supportsUnsubscribe: Bool
    /// What the client does when the broker breaks the protocol. Default: ``ProtocolViolationPolicy/report``.
    public var protocolViolations: ProtocolViolationPolicy
    /// Whether several operations of one kind may wait at once (several publishes in flight).
    /// Off, a second one is refused while the first waits, as a blocking client API does.
    /// Default: false.
    public var allowsConcurrentOperations: Bool
    /// A device program around the client (reconnects, tokens, errors that stop it); `nil`
    /// when the harness drives every connection itself. Default: `nil`.
    public var program: ProgramPolicy?

    public init(
        name: String = "client",
        protocolVersion: MQTTProtocolVersion = .v311,
        authentication: AuthenticationPolicy? = nil,
        keepAlive: KeepAlivePolicy = .afterLastSent,
        acknowledgements: AcknowledgementPolicy = .all,
        deliversQoS2Duplicates: Bool = false,
        supportsQoS2: Bool = true,
        supportsUnsubscribe: Bool = true,
        protocolViolations: ProtocolViolationPolicy = .report,
        allowsConcurrentOperations: Bool = false,
        program: ProgramPolicy? = nil
    ) {
        self.name = name
        self.protocolVersion = protocolVersion
        self.authentication = authentication
        self.keepAlive = keepAlive
        self.acknowledgements = acknowledgements
        self.deliversQoS2Duplicates = deliversQoS2Duplicates
        self.supportsQoS2 = supportsQoS2
        self.supportsUnsubscribe = supportsUnsubscribe
        self.protocolViolations = protocolViolations
        self.allowsConcurrentOperations = allowsConcurrentOperations
        self.program = program
    }
}

/// When a client sends PINGREQ.
public enum KeepAlivePolicy: Sendable, Hashable {
    /// Never (umqtt, unless the application calls `ping()`).
    case off
    /// A keep-alive period after the last packet it sent (umqtt's application calling
    /// `ping()`; the generic client).
    case afterLastSent
    /// A keep-alive period after the last packet in either direction; a PINGREQ left without
    /// PINGRESP for another period closes the connection (Paho, so the Python SDK).
    case afterSilence
    /// Every `interval`, counted from CONNECT, whatever else was sent (the harness's cloud
    /// connection pings at half its keep-alive).
    case every(Duration)
}

/// Which of the broker's QoS 1 and 2 packets a client answers by itself.
public enum AcknowledgementPolicy: Sendable, Hashable {
    /// PUBACK for a QoS 1 PUBLISH, PUBREC for a QoS 2 PUBLISH, PUBCOMP for PUBREL.
    case all
    /// Received messages stay unacknowledged, so the broker keeps them in flight and sends
    /// them again with DUP after a reconnect; a PUBREL is still completed (the broker only
    /// sends it after a PUBREC).
    case releasesOnly
    /// None: every answer is the caller's (the tests' raw client).
    case none
}

/// What a client does when the broker breaks the protocol.
public enum ProtocolViolationPolicy: Sendable, Hashable {
    /// Nothing beyond what its library does by accident: a wrong acknowledgement is ignored
    /// and the operation keeps waiting (firmware clients).
    case tolerate
    /// Reports it (``MQTTClientSession/Event/protocolViolation(_:)``): a wrong acknowledgement
    /// fails its operation; a malformed packet closes the connection [MQTT-4.8.0-1]. Other
    /// unexpected packets are left to the packet tap (the generic client observes brokers).
    case report
    /// Closes the connection on a packet only clients send, as an application client does;
    /// a wrong acknowledgement leaves its operation waiting (the harness's cloud connection).
    case close
}

/// The program a device runs around its client: what it does after a drop, where its
/// password comes from, and whether an error stops it.
public struct ProgramPolicy: Sendable, Hashable {
    /// What happens after an unexpected close.
    public var reconnect: ReconnectPolicy
    /// Whether errors raise out of the program (umqtt: the exception stops it) or reach the
    /// application, which carries on (the SDK).
    public var errorsStopProgram: Bool
    /// Where the password comes from; `nil`: the ``ConnectOptions`` password as given.
    public var tokens: TokenPolicy?
    /// Whether the client subscribes again to its filters after reconnecting (the C SDK
    /// does; the Python SDK and umqtt.robust rely on clean session 0).
    public var resubscribesAfterReconnect: Bool

    public init(reconnect: ReconnectPolicy, errorsStopProgram: Bool, tokens: TokenPolicy? = nil, resubscribesAfterReconnect: Bool = false) {
        self.reconnect = reconnect
        self.errorsStopProgram = errorsStopProgram
        self.tokens = tokens
        self.resubscribesAfterReconnect = resubscribesAfterReconnect
    }
}

/// What a device program's client does when its connection drops unexpectedly.
public enum ReconnectPolicy: Sendable, Hashable {
    /// Nothing: the program stops with `OSError: -1`, as umqtt.simple's `wait_msg` raises.
    case never
    /// Reconnects with clean session 0, after `firstDelay`, then every `retryDelay` while the
    /// network fails.
    case cleanSessionZero(firstDelay: Duration, retryDelay: Duration)
}

/// A device program that asks a token source for its password.
public struct TokenPolicy: Sendable, Hashable {
    /// How long before expiry the client renews its token by DISCONNECT and CONNECT, and
    /// before a reconnect fetches a fresh one; `nil`: it never renews and fetches a fresh
    /// token before every reconnect (umqtt.robust asks the application each time).
    public var renewalMargin: Duration?

    public init(renewalMargin: Duration? = nil) {
        self.renewalMargin = renewalMargin
    }
}
