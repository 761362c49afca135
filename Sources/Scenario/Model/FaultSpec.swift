import IoTHubCore

/// A fault a scenario injects with a `fault:` step: what goes wrong, for whom, and for how long.
public struct FaultSpec: Sendable, Hashable {
    public var kind: FaultKind
    public var target: FaultTarget
    /// How long until the fault heals by itself (`for:`); `nil`: until a `heal` step or the end
    /// of the run. Always `nil` for the faults that happen once (``FaultKind/isMomentary``).
    public var duration: Duration?

    public init(kind: FaultKind, target: FaultTarget, duration: Duration? = nil) {
        self.kind = kind
        self.target = target
        self.duration = duration
    }

    /// `blackhole esp8266 for 30s`, `restart hub for 5s`, `delay 200ms±5ms to_device all devices`.
    public var summary: String {
        var text = "\(kind.summary) \(target)"
        if let duration { text += " for \(ScenarioDuration.format(duration))" }
        return text
    }
}

/// Whom a fault strikes.
public enum FaultTarget: Sendable, Hashable, CustomStringConvertible {
    /// One device: its network path, or its connection to the hub.
    case device(DeviceID)
    /// Every device of the scenario.
    case allDevices
    /// The whole hub (hub faults without a device).
    case hub

    public var description: String {
        switch self {
        case .device(let id): id.string
        case .allDevices: "all devices"
        case .hub: "hub"
        }
    }

    /// Whether the fault strikes `device`.
    public func covers(_ device: DeviceID) -> Bool {
        switch self {
        case .device(let id): id == device
        case .allDevices, .hub: true
        }
    }
}

/// Which way a shaping fault (delay, bandwidth, slice) acts.
public enum FaultDirection: String, Sendable, Hashable, CaseIterable {
    case both
    case toHub = "to_hub"
    case toDevice = "to_device"
}

/// What goes wrong.
public enum FaultKind: Sendable, Hashable {
    // On the network path between a device and its hub.
    /// Every open connection is reset (RST), once.
    case drop
    /// Every open connection is closed cleanly (FIN), once.
    case close
    /// Connections stay open and carry nothing either way: the half-open link a Wi-Fi drop
    /// leaves behind.
    case blackhole
    /// Bytes are held `delay` (± `jitter`) before they go on.
    case delay(Duration, jitter: Duration, direction: FaultDirection)
    /// Bytes go no faster than this.
    case bandwidth(bytesPerSecond: Int, direction: FaultDirection)
    /// Bytes arrive in pieces of this many bytes.
    case slice(bytes: Int, direction: FaultDirection)
    /// New connections are refused.
    case refuse
    /// Open connections are reset and new ones refused.
    case partition

    // On the simulated hub.
    /// Every connection drops; sessions and queued messages survive; no connection is taken
    /// until the hub is back.
    case restart
    /// CONNECT is refused and the service API answers 429.
    case throttle
    /// Every CONNECT is refused with CONNACK 5.
    case authError
    /// CONNECT succeeds; the connection is cut when the device sends telemetry.
    case quotaExceeded

    // The simulated hub's TLS certificate, for connections opened while the fault is on.
    /// The hub presents a certificate of its CA that has expired.
    case certificateExpired
    /// The hub presents a valid certificate of its CA for another host name.
    case certificateWrongName
    /// The hub presents a certificate signed by a CA no device trusts.
    case certificateUntrusted
    /// The hub presents a certificate of a new root CA (the hub's next root), as IoT Hub's
    /// 2023 move from Baltimore CyberTrust Root to DigiCert Global Root G2.
    case caRotation

    // The device's own clock.
    /// The device's clock is off by this much (negative: behind), so the tokens the harness
    /// mints for it are dated by the wrong time.
    case clockSkew(Duration)

    /// The word a scenario names it with.
    public var name: String { Self.name(of: self) }

    /// Where the fault acts.
    public enum Family: String, Sendable, Hashable {
        /// A device's network path (the proxy it connects through).
        case network
        /// The simulated hub's behaviour.
        case hub
        /// The simulated hub's TLS server certificate (hub-wide).
        case tls
        /// A device's clock.
        case clock
    }

    public var family: Family {
        switch self {
        case .drop, .close, .blackhole, .delay, .bandwidth, .slice, .refuse, .partition: .network
        case .restart, .throttle, .authError, .quotaExceeded: .hub
        case .certificateExpired, .certificateWrongName, .certificateUntrusted, .caRotation: .tls
        case .clockSkew: .clock
        }
    }

    /// Whether only the simulated hub can carry it out (hub and certificate faults).
    public var needsSimulatedHub: Bool { family == .hub || family == .tls }

    /// Faults that happen once, when the step runs, and so take no duration.
    public var isMomentary: Bool {
        switch self {
        case .drop, .close: true
        default: false
        }
    }

    /// The kind with its settings: `delay 200ms±5ms to_device`, `slice 1 byte`.
    public var summary: String {
        func towards(_ direction: FaultDirection) -> String { direction == .both ? "" : " \(direction.rawValue)" }
        switch self {
        case .delay(let delay, let jitter, let direction):
            return "delay \(ScenarioDuration.format(delay))" + (jitter > .zero ? "±\(ScenarioDuration.format(jitter))" : "") + towards(direction)
        case .bandwidth(let rate, let direction): return "bandwidth \(rate) B/s" + towards(direction)
        case .slice(let bytes, let direction): return "slice \(bytes) byte\(bytes == 1 ? "" : "s")" + towards(direction)
        case .clockSkew(let skew): return "clock_skew " + (skew < .zero ? "-" + ScenarioDuration.format(.zero - skew) : "+" + ScenarioDuration.format(skew))
        default: return name
        }
    }

    private static func name(of kind: FaultKind) -> String {
        switch kind {
        case .drop: "drop"
        case .close: "close"
        case .blackhole: "blackhole"
        case .delay: "delay"
        case .bandwidth: "bandwidth"
        case .slice: "slice"
        case .refuse: "refuse"
        case .partition: "partition"
        case .restart: "restart"
        case .throttle: "throttle"
        case .authError: "auth_error"
        case .quotaExceeded: "quota_exceeded"
        case .certificateExpired: "certificate_expired"
        case .certificateWrongName: "certificate_wrong_name"
        case .certificateUntrusted: "certificate_untrusted"
        case .caRotation: "ca_rotation"
        case .clockSkew: "clock_skew"
        }
    }
}

/// A `heal:` step: the faults it ends.
public struct FaultHeal: Sendable, Hashable {
    /// The kind to heal (its name); `nil`: every kind.
    public var kind: String?
    /// Whom; `nil`: everyone.
    public var target: FaultTarget?

    public init(kind: String? = nil, target: FaultTarget? = nil) {
        self.kind = kind
        self.target = target
    }

    public var summary: String {
        [kind ?? "every fault", target.map { "\($0)" }].compactMap { $0 }.joined(separator: " ")
    }
}
