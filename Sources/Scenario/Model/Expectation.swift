import MQTTCore

/// What a scenario expects to observe, and by when.
public struct Expectation: Sendable, Hashable, CustomStringConvertible {
    /// The thing observed.
    public enum Subject: Sendable, Hashable, CustomStringConvertible {
        /// The device receives CONNACK with this return code.
        case connack(ConnectReturnCode)
        /// The device's status LED is written to this state.
        case led(isOn: Bool)

        public var description: String {
            switch self {
            case .connack(let code): "connack \(code.name)"
            case .led(let isOn): "led \(isOn ? "on" : "off")"
            }
        }
    }

    /// The time window, measured from the action that caused the expectation (the last action
    /// step before it).
    public enum Deadline: Sendable, Hashable, CustomStringConvertible {
        /// The subject must be observed no later than this after the cause.
        case within(Duration)
        /// Nothing contrary to the subject may be observed for this long after the cause.
        case holdsFor(Duration)

        public var duration: Duration {
            switch self {
            case .within(let duration), .holdsFor(let duration): duration
            }
        }

        public var description: String {
            switch self {
            case .within(let duration): "within \(ScenarioDuration.format(duration))"
            case .holdsFor(let duration): "for \(ScenarioDuration.format(duration))"
            }
        }
    }

    public var subject: Subject
    public var deadline: Deadline

    public init(subject: Subject, deadline: Deadline) {
        self.subject = subject
        self.deadline = deadline
    }

    public var description: String { "\(subject) \(deadline)" }
}
