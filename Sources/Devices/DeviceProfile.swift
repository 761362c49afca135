import MQTTClientCore

/// How a simulated device behaves on the wire, named after the client it imitates: a
/// configuration of the one client engine (``MQTTClientSession``).
///
/// | profile | pings | after a drop | token |
/// | --- | --- | --- | --- |
/// | `umqtt-simple` | never (the app would have to call `ping()`) | `OSError(-1)` stops the program | asked for once per connect |
/// | `umqtt-robust` | never | reconnects at once with clean session 0, then every 2 s while the network fails; a refused CONNACK stops the program | asked for again before every reconnect |
/// | `sdk` | PINGREQ after keep-alive of silence, drops the link when PINGRESP is late | reconnects after 10 ms, then every 10 s while the network fails or the hub answers CONNACK 3; any other refused CONNACK ends retrying (the Python SDK's transient errors) | renewed `renewalMargin` before expiry by DISCONNECT + CONNECT |
///
/// None speaks QoS 2 (umqtt asserts on it; the SDK profile keeps umqtt's firmware), and none
/// reports a broker's protocol violations: firmware ignores what it does not expect.
public struct DeviceProfile: Sendable, Hashable, CustomStringConvertible {
    /// The profile's name in scenarios, for example `umqtt-simple`.
    public var name: String
    /// Whether the client sends PINGREQ within its keep-alive by itself. A device can override
    /// it (see ``ClientSettings/sendsPings``).
    public var sendsPings: Bool
    /// Whether a PINGREQ left without PINGRESP for a keep-alive period closes the connection
    /// (Paho, and so the Python SDK, does this; umqtt never reads PINGRESP).
    public var detectsMissingPingResponse: Bool
    /// The program around the client: what happens after an unexpected close, whether errors
    /// stop it, whether it subscribes again (its tokens come from the device's settings).
    public var program: ProgramPolicy
    /// How long before the token's expiry the client renews it by reconnecting; `nil`: never.
    public var renewalMargin: Duration?
    /// Whether the client library has an unsubscribe call (umqtt.simple 1.3.4 has none).
    public var supportsUnsubscribe: Bool

    /// The seed firmware on `umqtt.simple` 1.3.4: `connect(False)`, SUBSCRIBE at QoS 0 with
    /// packet id 1, no PINGREQ ever, PUBACK only after the callback returns, no reconnect; a
    /// refused CONNACK or a dropped connection raises and stops the program.
    public static let umqttSimple = DeviceProfile(
        name: "umqtt-simple",
        sendsPings: false,
        detectsMissingPingResponse: false,
        program: ProgramPolicy(reconnect: .never, errorsStopProgram: true),
        renewalMargin: nil,
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
        program: ProgramPolicy(reconnect: .cleanSessionZero(firstDelay: .zero, retryDelay: .seconds(2)), errorsStopProgram: true),
        renewalMargin: nil,
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
        program: ProgramPolicy(reconnect: .cleanSessionZero(firstDelay: .milliseconds(10), retryDelay: .seconds(10)), errorsStopProgram: false),
        renewalMargin: .seconds(120),
        supportsUnsubscribe: true
    )

    /// Every profile the harness knows.
    public static let all: [DeviceProfile] = [.umqttSimple, .umqttRobust, .sdk]

    /// The profile named `name`, if any.
    public init?(named name: String) {
        guard let profile = Self.all.first(where: { $0.name == name }) else { return nil }
        self = profile
    }

    init(name: String, sendsPings: Bool, detectsMissingPingResponse: Bool, program: ProgramPolicy, renewalMargin: Duration?, supportsUnsubscribe: Bool) {
        self.name = name
        self.sendsPings = sendsPings
        self.detectsMissingPingResponse = detectsMissingPingResponse
        self.program = program
        self.renewalMargin = renewalMargin
        self.supportsUnsubscribe = supportsUnsubscribe
    }

    public var description: String { name }

    /// The client session's configuration for a device of this profile with `settings`.
    public func configuration(_ settings: ClientSettings = ClientSettings()) -> MQTTClientConfiguration {
        let keepAlive: KeepAlivePolicy
        if !(settings.sendsPings ?? sendsPings) {
            keepAlive = .off
        } else {
            keepAlive = detectsMissingPingResponse ? .afterSilence : .afterLastSent
        }
        var program = self.program
        program.tokens = settings.usesTokenSource ? TokenPolicy(renewalMargin: renewalMargin.map { settings.renewalMargin ?? $0 }) : nil
        return MQTTClientConfiguration(
            name: name,
            keepAlive: keepAlive,
            supportsQoS2: false,
            supportsUnsubscribe: supportsUnsubscribe,
            protocolViolations: .tolerate,
            program: program
        )
    }
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
