/// How a simulated device behaves on the wire, named after the client it imitates.
public struct DeviceProfile: Sendable, Hashable, CustomStringConvertible {
    /// The profile's name in scenarios, for example `umqtt-simple`.
    public var name: String
    /// Whether the client sends PINGREQ within its keep-alive by itself.
    public var sendsPings: Bool
    /// Whether the client reconnects after the connection drops.
    public var reconnects: Bool
    /// Whether an unexpected close stops the program (umqtt raises OSError in `wait_msg`).
    public var crashesOnDisconnect: Bool
    /// Whether the client library has an unsubscribe call (umqtt.simple 1.3.4 has none).
    public var supportsUnsubscribe: Bool

    /// The seed firmware on `umqtt.simple` 1.3.4: `connect(False)`, SUBSCRIBE at QoS 0 with
    /// packet id 1, no PINGREQ ever, PUBACK only after the callback returns, no reconnect; a
    /// refused CONNACK or a dropped connection raises and stops the program.
    public static let umqttSimple = DeviceProfile(
        name: "umqtt-simple",
        sendsPings: false,
        reconnects: false,
        crashesOnDisconnect: true,
        supportsUnsubscribe: false
    )

    /// Every profile the harness knows.
    public static let all: [DeviceProfile] = [.umqttSimple]

    /// The profile named `name`, if any.
    public init?(named name: String) {
        guard let profile = Self.all.first(where: { $0.name == name }) else { return nil }
        self = profile
    }

    init(name: String, sendsPings: Bool, reconnects: Bool, crashesOnDisconnect: Bool, supportsUnsubscribe: Bool) {
        self.name = name
        self.sendsPings = sendsPings
        self.reconnects = reconnects
        self.crashesOnDisconnect = crashesOnDisconnect
        self.supportsUnsubscribe = supportsUnsubscribe
    }

    public var description: String { name }
}
