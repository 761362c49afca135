/// How a simulated device behaves on the wire, named after the client it imitates.
///
/// | profile | pings | after a drop | token |
/// | --- | --- | --- | --- |
/// | `umqtt-simple` | never (the app would have to call `ping()`) | `OSError(-1)` stops the program | asked for once per connect |
/// | `umqtt-robust` | never | reconnects at once with clean session 0, then every 2 s while the network fails; a refused CONNACK stops the program | asked for again before every reconnect |
/// | `sdk` | PINGREQ after keep-alive of silence, drops the link when PINGRESP is late | reconnects after 10 ms, then every 10 s while the network fails; a refused CONNACK ends retrying | renewed `renewalMargin` before expiry by DISCONNECT + CONNECT |
public struct DeviceProfile: Sendable, Hashable, CustomStringConvertible {
    /// What the client does when the connection drops unexpectedly.
    public enum ReconnectPolicy: Sendable, Hashable {
        /// Nothing: the program stops with `OSError: -1`, as umqtt.simple's `wait_msg` raises.
        case never
        /// Reconnect with clean session 0.
        /// - Parameters:
        ///   - firstDelay: wait before the first attempt.
        ///   - retryDelay: wait between attempts that fail at the network level.
        ///   - refusalStopsProgram: whether a refused CONNACK stops the program (umqtt.robust
        ///     only catches `OSError`, so `MQTTException` escapes) or only ends retrying (SDK).
        case cleanSessionZero(firstDelay: Duration, retryDelay: Duration, refusalStopsProgram: Bool)
    }

    /// The profile's name in scenarios, for example `umqtt-simple`.
    public var name: String
    /// Whether the client sends PINGREQ within its keep-alive by itself. A device can override
    /// it (see ``ClientSettings/sendsPings``).
    public var sendsPings: Bool
    /// Whether a PINGREQ left without PINGRESP for a keep-alive period closes the connection
    /// (Paho, and so the Python SDK, does this; umqtt never reads PINGRESP).
    public var detectsMissingPingResponse: Bool
    /// What happens after an unexpected close.
    public var reconnectPolicy: ReconnectPolicy
    /// How long before the token's expiry the client renews it by reconnecting; `nil`: never.
    public var renewalMargin: Duration?
    /// Whether the client subscribes again to its filters after reconnecting. The Python SDK
    /// does not (it relies on clean session 0); the C SDK does.
    public var resubscribesAfterReconnect: Bool
    /// Whether the client library has an unsubscribe call (umqtt.simple 1.3.4 has none).
    public var supportsUnsubscribe: Bool

    /// Whether the client reconnects after the connection drops.
    public var reconnects: Bool { reconnectPolicy != .never }

    /// Whether an unexpected close stops the program (umqtt raises OSError in `wait_msg`).
    public var crashesOnDisconnect: Bool { reconnectPolicy == .never }

    /// The seed firmware on `umqtt.simple` 1.3.4: `connect(False)`, SUBSCRIBE at QoS 0 with
    /// packet id 1, no PINGREQ ever, PUBACK only after the callback returns, no reconnect; a
    /// refused CONNACK or a dropped connection raises and stops the program.
    public static let umqttSimple = DeviceProfile(
        name: "umqtt-simple",
        sendsPings: false,
        detectsMissingPingResponse: false,
        reconnectPolicy: .never,
        renewalMargin: nil,
        resubscribesAfterReconnect: false,
        supportsUnsubscribe: false
    )

    /// The seed firmware on `umqtt.robust` (micropython-lib): like `umqtt-simple`, but
    /// `wait_msg` catches `OSError` and calls `reconnect()`, which loops on `connect(False)`
    /// (clean session 0, no new SUBSCRIBE) with `DELAY = 2` seconds between failed attempts.
    /// The password is asked for again before every reconnect, so a device whose token source
    /// mints or fetches tokens comes back with a fresh one. `MQTTException` (a refused
    /// CONNACK) is not an `OSError` and stops the program.
    public static let umqttRobust = DeviceProfile(
        name: "umqtt-robust",
        sendsPings: false,
        detectsMissingPingResponse: false,
        reconnectPolicy: .cleanSessionZero(firstDelay: .zero, retryDelay: .seconds(2), refusalStopsProgram: true),
        renewalMargin: nil,
        resubscribesAfterReconnect: false,
        supportsUnsubscribe: false
    )

    /// Like the official Azure IoT Python device SDK (azure-iot-device 2.x on Paho): CONNECT
    /// with the scenario's flags first and clean session 0 on every reconnect; PINGREQ after
    /// keep-alive seconds without traffic, and the link is dropped when PINGRESP does not come
    /// within another keep-alive; after an unexpected drop it reconnects after 10 ms, then
    /// every 10 s (`connection_retry_interval`) while the network fails; a refused CONNACK
    /// ends retrying; the SAS token is renewed 120 s before expiry
    /// (`DEFAULT_TOKEN_UPDATE_MARGIN`) by DISCONNECT and CONNECT with the new token
    /// ("reauthorize"); subscriptions are not sent again (it relies on the persistent session).
    public static let sdk = DeviceProfile(
        name: "sdk",
        sendsPings: true,
        detectsMissingPingResponse: true,
        reconnectPolicy: .cleanSessionZero(firstDelay: .milliseconds(10), retryDelay: .seconds(10), refusalStopsProgram: false),
        renewalMargin: .seconds(120),
        resubscribesAfterReconnect: false,
        supportsUnsubscribe: true
    )

    /// Every profile the harness knows.
    public static let all: [DeviceProfile] = [.umqttSimple, .umqttRobust, .sdk]

    /// The profile named `name`, if any.
    public init?(named name: String) {
        guard let profile = Self.all.first(where: { $0.name == name }) else { return nil }
        self = profile
    }

    init(
        name: String,
        sendsPings: Bool,
        detectsMissingPingResponse: Bool,
        reconnectPolicy: ReconnectPolicy,
        renewalMargin: Duration?,
        resubscribesAfterReconnect: Bool,
        supportsUnsubscribe: Bool
    ) {
        self.name = name
        self.sendsPings = sendsPings
        self.detectsMissingPingResponse = detectsMissingPingResponse
        self.reconnectPolicy = reconnectPolicy
        self.renewalMargin = renewalMargin
        self.resubscribesAfterReconnect = resubscribesAfterReconnect
        self.supportsUnsubscribe = supportsUnsubscribe
    }

    public var description: String { name }
}

/// Per-device adjustments of a profile's behaviour.
public struct ClientSettings: Sendable, Hashable {
    /// Keep-alive pinging on or off; `nil` keeps the profile's default.
    public var sendsPings: Bool?
    /// Overrides the profile's token renewal margin (profiles that renew only).
    public var renewalMargin: Duration?
    /// Whether the device asks a token source for its password before each connect. When
    /// false the password of the ``ConnectRequest`` is used as given.
    public var usesTokenSource: Bool

    public init(sendsPings: Bool? = nil, renewalMargin: Duration? = nil, usesTokenSource: Bool = false) {
        self.sendsPings = sendsPings
        self.renewalMargin = renewalMargin
        self.usesTokenSource = usesTokenSource
    }
}
