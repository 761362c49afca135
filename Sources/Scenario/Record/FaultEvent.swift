import IoTHubCore

/// A fault's life on the run's record: when it struck, what it did, when it healed.
public struct FaultEvent: Sendable, Hashable {
    public enum Phase: String, Sendable, Hashable {
        /// The fault began (a momentary one: it happened).
        case started
        /// Something the fault did: connections reset, a connection refused, a CONNECT refused.
        case effect
        /// The fault ended: its time was up, a `heal` step ended it, or the run did.
        case healed
        /// The fault could not be carried out; the step fails with this reason.
        case failed
    }

    public var phase: Phase
    /// The fault's kind with its settings (`blackhole`, `delay 200ms to_device`).
    public var kind: String
    /// The device concerned; `nil` for all devices or the hub.
    public var device: DeviceID?
    /// Whom it strikes, in words (`esp8266`, `all devices`, `hub`).
    public var target: String
    /// What happened, in plain words.
    public var detail: String

    public init(phase: Phase, kind: String, device: DeviceID?, target: String, detail: String = "") {
        self.phase = phase
        self.kind = kind
        self.device = device
        self.target = target
        self.detail = detail
    }

    /// The event's type in `trace.jsonl`: `fault_started`, `fault_effect`, `fault_healed`,
    /// `fault_failed`.
    public var name: String { "fault_\(phase.rawValue)" }

    /// `fault blackhole esp8266 started: for 30s`.
    public var line: String {
        "fault \(kind) \(target) \(phase.rawValue)" + (detail.isEmpty ? "" : ": \(detail)")
    }
}
