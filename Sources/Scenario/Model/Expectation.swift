import Foundation
import IoTHubCore
import MQTTCore

/// What a scenario expects to observe, and by when.
public struct Expectation: Sendable, Hashable, CustomStringConvertible {
    public var subject: Subject
    public var deadline: Deadline
    /// `after: N`: the observation must come after the one that satisfied step N (an earlier
    /// expectation), so a sequence of expectations checks an order.
    public var after: StepNumber?
    /// On a fleet step, how many of its devices must satisfy it (`devices:`); `nil` on a
    /// fleet step means all of them.
    public var quorum: DeviceQuorum?

    public init(subject: Subject, deadline: Deadline, after: StepNumber? = nil) {
        self.subject = subject
        self.deadline = deadline
        self.after = after
    }

    /// One branch of `one_of`: a subject that may be observed instead of the others, and,
    /// when observing it (or, without a subject, observing none of the others) means the
    /// statements of the step do not apply to this peer, the reason why.
    public struct Alternative: Sendable, Hashable, CustomStringConvertible {
        /// `nil` for the branch taken when no other branch holds by the deadline.
        public var subject: Subject?
        /// Set when this branch makes the step not applicable (for example a broker that
        /// supports the protocol level the step sends).
        public var notApplicable: String?

        public init(subject: Subject?, notApplicable: String? = nil) {
            self.subject = subject
            self.notApplicable = notApplicable
        }

        public var description: String {
            let what = subject.map(\.description) ?? "none of these"
            return notApplicable == nil ? what : "\(what) (not applicable)"
        }
    }

    /// The thing observed.
    public enum Subject: Sendable, Hashable, CustomStringConvertible {
        /// The device receives CONNACK with this return code.
        case connack(ConnectReturnCode)
        /// The device's status LED is written to this state.
        case led(isOn: Bool)
        /// The device writes this value to an output pin.
        case pin(number: Int, value: Bool)
        /// A packet matching the description crosses the device's connection.
        case packet(PacketMatcher)
        /// The hub receives telemetry (D2C) from the device matching the description.
        case telemetry(TelemetryMatcher)
        /// `true`: the device's connection ends; `false`: it does not (with `for`).
        case disconnected(Bool, reason: DisconnectKind?)
        /// `true`: the device connects again (CONNACK 0); `false`: it does not (with `for`).
        case reconnected(Bool)
        /// The device's C2D queue on the hub holds this many messages.
        case queued(Int)
        /// The device prints a line matching the pattern.
        case output(OutputPattern)
        /// The bytes the device receives after the causing action start with exactly these;
        /// with `exact`, they are all it receives until the connection closes or the deadline.
        case bytes(HexBytes, exact: Bool)
        /// Any one of these, whichever is observed first (`one_of`): the peer may do what any
        /// branch says; a branch may make the step not applicable.
        case oneOf([Alternative])
        /// Every C2D message the hub accepted for the device so far reached it; each exactly
        /// once unless `duplicates` are allowed (a QoS 1 redelivery the device had already
        /// received).
        case delivered(duplicates: Bool)
        /// The hub's Device Provisioning Service ends the device's registration as described.
        case provisioned(ProvisionedMatcher)

        /// A state holds over time (`for` = keeps it); otherwise it is an event (`for` = never).
        public var isState: Bool {
            switch self {
            case .led, .pin, .queued: true
            case .connack, .packet, .telemetry, .disconnected, .reconnected, .output, .bytes, .oneOf, .delivered, .provisioned: false
            }
        }

        /// The subject itself, or the subjects of its `one_of` branches.
        public var leaves: [Subject] {
            if case .oneOf(let alternatives) = self { return alternatives.compactMap(\.subject) }
            return [self]
        }

        /// The subject's name in scenarios and metrics: `led`, `packet`, ...
        public var name: String {
            switch self {
            case .connack: "connack"
            case .led: "led"
            case .pin: "pin"
            case .packet: "packet"
            case .telemetry: "telemetry"
            case .disconnected: "disconnected"
            case .reconnected: "reconnected"
            case .queued: "queued"
            case .output: "output"
            case .bytes: "bytes"
            case .oneOf: "one_of"
            case .delivered: "delivered"
            case .provisioned: "provisioned"
            }
        }

        public var description: String {
            switch self {
            case .connack(let code): "connack \(code.name)"
            case .led(let isOn): "led \(isOn ? "on" : "off")"
            case .pin(let number, let value): "pin \(number) = \(value ? 1 : 0)"
            case .packet(let matcher): "packet \(matcher)"
            case .telemetry(let matcher): "telemetry \(matcher)"
            case .disconnected(let value, let reason):
                value ? "disconnected" + (reason.map { " (\($0.rawValue))" } ?? "") : "still connected"
            case .reconnected(let value): value ? "reconnected" : "not reconnected"
            case .queued(let count): "queued \(count)"
            case .output(let pattern): "output /\(pattern.source)/"
            case .bytes(let bytes, let exact): "bytes \(bytes)\(exact ? " exactly" : "")"
            case .oneOf(let alternatives): "one of [" + alternatives.map(\.description).joined(separator: " | ") + "]"
            case .delivered(let duplicates): "delivered all" + (duplicates ? " (duplicates allowed)" : " exactly once")
            case .provisioned(let matcher): "provisioned \(matcher)"
            }
        }
    }

    /// The time window, measured from the action that caused the expectation (the last action
    /// step before it).
    public enum Deadline: Sendable, Hashable, CustomStringConvertible {
        /// The subject must be observed no later than this after the causing action started.
        case within(Duration)
        /// States must hold, and events must not happen, for this long after the causing
        /// action returned.
        case holdsFor(Duration)

        public var duration: Duration {
            switch self {
            case .within(let duration), .holdsFor(let duration): duration
            }
        }

        /// Whether this is a `within` deadline.
        public var isWithin: Bool {
            if case .within = self { return true }
            return false
        }

        public var description: String {
            switch self {
            case .within(let duration): "within \(ScenarioDuration.format(duration))"
            case .holdsFor(let duration): "for \(ScenarioDuration.format(duration))"
            }
        }
    }

    public var description: String {
        let order = after.map { " after step \($0)'s match" } ?? ""
        let devices: String
        switch quorum {
        case nil: devices = ""
        case .all: devices = " (all devices)"
        case .count(let count): devices = " (at least \(count) devices)"
        case .percent: devices = " (\(quorum?.description ?? "") of devices)"
        }
        if case .holdsFor = deadline, !subject.isState {
            switch subject {
            case .disconnected, .reconnected: return "\(subject) \(deadline)\(devices)"
            default: return "no \(subject) \(deadline)\(devices)"
            }
        }
        return "\(subject)\(order) \(deadline)\(devices)"
    }
}

/// Which way a packet goes.
public enum PacketFlow: String, Sendable, Hashable, CaseIterable {
    /// From the device to the hub or broker.
    case toHub = "to_hub"
    /// From the hub or broker to the device.
    case toDevice = "to_device"
}

/// Describes packets an expectation looks for; `nil` fields match anything.
public struct PacketMatcher: Sendable, Hashable, CustomStringConvertible {
    public var type: MQTTPacketType
    public var flow: PacketFlow?
    /// For PUBLISH, SUBSCRIBE and UNSUBSCRIBE: a topic filter the (first) topic must match.
    public var topic: TopicFilter?
    public var qos: MQTTQoS?
    public var dup: Bool?
    public var retain: Bool?
    /// For PUBLISH: the exact payload text.
    public var payload: String?
    /// For PUBLISH to a device: the QoS the message was published at. The delivery QoS
    /// expected is the minimum of this and the QoS the broker granted to the device's
    /// matching subscription in its SUBACK (the highest grant when several match)
    /// [MQTT-3.8.4-6] [MQTT-3.3.5-1].
    public var publishedQoS: MQTTQoS?
    /// MQTT 5.0: the packet's reason code (for SUBACK and UNSUBACK: every code of it).
    public var reason: MQTTReasonCode?
    /// MQTT 5.0, SUBACK and UNSUBACK: the reason codes, one per topic filter, in order.
    public var reasons: [MQTTReasonCode]?
    /// MQTT 5.0: properties the packet carries at least.
    public var properties: PropertyMatch?
    /// CONNACK: the Session Present flag.
    public var sessionPresent: Bool?

    public init(type: MQTTPacketType, flow: PacketFlow? = nil, topic: TopicFilter? = nil, qos: MQTTQoS? = nil, dup: Bool? = nil, retain: Bool? = nil, payload: String? = nil) {
        self.type = type
        self.flow = flow
        self.topic = topic
        self.qos = qos
        self.dup = dup
        self.retain = retain
        self.payload = payload
    }

    public var description: String {
        var parts = [type.name]
        if let flow { parts.append(flow.rawValue) }
        if let topic { parts.append("topic=\(topic)") }
        if let qos { parts.append("qos=\(qos)") }
        if let publishedQoS { parts.append("published_qos=\(publishedQoS)") }
        if let dup { parts.append("dup=\(dup)") }
        if let retain { parts.append("retain=\(retain)") }
        if let payload { parts.append("payload=\"\(payload)\"") }
        if let sessionPresent { parts.append("session_present=\(sessionPresent)") }
        if let reason { parts.append("reason=\(reason.description(in: type))") }
        if let reasons { parts.append("reasons=[" + reasons.map { $0.description(in: type) }.joined(separator: ", ") + "]") }
        if let properties, !properties.isEmpty { parts.append("properties=[\(properties)]") }
        return parts.joined(separator: " ")
    }
}

/// Describes telemetry an expectation looks for.
public struct TelemetryMatcher: Sendable, Hashable, CustomStringConvertible {
    /// The exact payload text; `nil` matches any.
    public var payload: String?
    /// Properties the message must carry (others may be present too).
    public var properties: PropertyBag

    public init(payload: String? = nil, properties: PropertyBag = PropertyBag()) {
        self.payload = payload
        self.properties = properties
    }

    public var description: String {
        var text = payload.map { "\"\($0)\"" } ?? "any"
        if !properties.isEmpty { text += " \(properties.encoded)" }
        return text
    }
}

/// Why a connection ended, as an expectation can name it.
public enum DisconnectKind: String, Sendable, Hashable, CaseIterable {
    case tokenExpired = "token_expired"
    case keepAlive = "keepalive"
    case clientDisconnect = "client_disconnect"
    case connectionLost = "connection_lost"
    case replaced
    case protocolViolation = "protocol_violation"
    case refused
    case revoked
    case disabled
    case deleted
}

/// A regular expression for device output lines, with its source for messages.
public struct OutputPattern: Sendable, Hashable {
    public var source: String

    /// Compiles `source`.
    /// - Throws: the regular expression error, for a diagnostic.
    public init(_ source: String) throws {
        _ = try NSRegularExpression(pattern: source)
        self.source = source
    }

    /// Whether `line` contains a match.
    public func matches(_ line: String) -> Bool {
        guard let expression = try? NSRegularExpression(pattern: source) else { return false }
        return expression.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil
    }
}

/// A bound on a latency statistic over a `repeat` block: `led_latency: { p99: "< 5ms" }`.
public struct LatencyThreshold: Sendable, Hashable, CustomStringConvertible {
    /// A statistic of a set of latencies.
    public enum Statistic: String, Sendable, Hashable, CaseIterable {
        case min, p50, p90, p95, p99, max, mean
    }

    /// How the statistic compares to the bound.
    public enum Comparison: String, Sendable, Hashable, CaseIterable {
        case lessThan = "<"
        case lessOrEqual = "<="
        case greaterThan = ">"
        case greaterOrEqual = ">="

        func holds(_ value: Duration, _ bound: Duration) -> Bool {
            switch self {
            case .lessThan: value < bound
            case .lessOrEqual: value <= bound
            case .greaterThan: value > bound
            case .greaterOrEqual: value >= bound
            }
        }
    }

    /// `latency` (every expectation in the block) or `<subject>_latency` (`led_latency`).
    public var metric: String
    public var statistic: Statistic
    public var comparison: Comparison
    public var bound: Duration

    public init(metric: String, statistic: Statistic, comparison: Comparison, bound: Duration) {
        self.metric = metric
        self.statistic = statistic
        self.comparison = comparison
        self.bound = bound
    }

    /// Whether `value` meets the threshold.
    public func isMet(by value: Duration) -> Bool { comparison.holds(value, bound) }

    /// `led_latency p99 < 5ms`.
    public var description: String { "\(metric) \(statistic.rawValue) \(comparison.rawValue) \(ScenarioDuration.format(bound))" }
}
