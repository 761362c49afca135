import IoTHubCore
import MQTTCore

/// A fault the simulated hub can be told to have. Each one starts and ends on demand (or after
/// a duration on the hub's clock), for the whole hub or for one device.
public enum HubFault: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The hub restarts, as at the real hub's maintenance: every connection in scope drops at
    /// once, and until the fault ends new connections are closed without an answer (the hub is
    /// down). Persistent sessions (clean session 0: subscriptions, queued and unacknowledged
    /// C2D) survive; unacknowledged QoS 1 C2D is redelivered with DUP when the device is back.
    case restart
    /// The hub throttles: CONNECT is refused with ``HubConfiguration/throttledConnectRefusal``,
    /// telemetry on a live connection cuts it without PUBACK (how a 429 shows over MQTT), and
    /// the service REST API answers 429 `ThrottlingException`.
    case throttle
    /// The hub's key store hiccups: every CONNECT is refused with CONNACK 5. Live connections
    /// carry on (IoT Hub authenticates an MQTT connection only at CONNECT).
    case authError = "auth_error"
    /// The daily message quota is used up: CONNECT still succeeds, and telemetry cuts the
    /// connection without PUBACK, as the real hub does.
    case quotaExceeded = "quota_exceeded"

    public var description: String { rawValue }
}

/// One fault the hub has, or will have once its delay passes: which, for whom, and who asked.
public struct HubFaultActivation: Sendable, Hashable, CustomStringConvertible {
    /// What the hub does while the fault lasts.
    public var fault: HubFault
    /// The one device the fault applies to; `nil` for the whole hub.
    public var device: DeviceID?
    /// The device's fault-injection message that asked for the fault; `nil` when it was started
    /// through the hub's API (a scenario's `fault` step).
    public var injection: FaultInjectionRequest?

    public init(fault: HubFault, device: DeviceID?, injection: FaultInjectionRequest? = nil) {
        self.fault = fault
        self.device = device
        self.injection = injection
    }

    /// Whether the fault applies to `deviceID`.
    public func applies(to deviceID: DeviceID?) -> Bool {
        device == nil || device == deviceID
    }

    /// `hub fault throttle (hub-wide)`, `hub fault restart (device d1)`, or `fault injection
    /// KillTcp from d1 (close reason 'boom')`.
    public var description: String {
        if let injection, let device {
            return "fault injection \(injection.type) from \(device) (close reason '\(injection.closeReason)')"
        }
        return "hub fault \(fault) (\(device.map { "device \($0)" } ?? "hub-wide"))"
    }
}

/// What a fault did to a connection; with the fault it makes a ``DisconnectReason/fault(_:_:)``.
public enum FaultEffect: Sendable, Hashable {
    /// The fault dropped the live connection (a restart, KillTcp, ShutDownMqtt).
    case dropped
    /// The hub was down: the connection was closed as soon as it opened (or sent CONNECT),
    /// without an answer.
    case closedWhileDown
    /// CONNECT was refused with this code.
    case connectRefused(ConnectReturnCode)
    /// The device sent telemetry, and the hub cut the connection without PUBACK.
    case telemetryCut
}

/// Fault activity, for the run's record and the hub's log.
public enum HubFaultEvent: Sendable, Hashable, CustomStringConvertible {
    /// A fault came into force; `until` is when it ends by itself (`nil`: when ended).
    case started(HubFaultActivation, until: HubTime?)
    /// A fault ended: ended through the API, its duration ran out, or a new start of the same
    /// fault and scope replaced it.
    case ended(HubFaultActivation)
    /// A device's fault-injection message was taken: the fault comes into force after its
    /// delay (at `startsAt` on the hub's clock).
    case requested(DeviceID, FaultInjectionRequest, startsAt: HubTime)
    /// A device's fault-injection message was not acted on; `reason` says why (an AMQP-only
    /// type, an unknown type, a bad delay or duration).
    case requestRefused(DeviceID, type: String, reason: String)
    /// A device sent its fault-injection message again (DUP: its client retransmitting after
    /// the fault dropped it before the PUBACK). The hub acknowledged it and did not repeat
    /// the fault.
    case requestRepeated(DeviceID, type: String)
    /// A service REST request was answered 429 `ThrottlingException`; `device` is the device it
    /// named, if any.
    case serviceRequestThrottled(HubFaultActivation, device: DeviceID?, operation: String)

    /// The device the event concerns; `nil` for a hub-wide fault.
    public var deviceID: DeviceID? {
        switch self {
        case .started(let activation, _), .ended(let activation): activation.device
        case .requested(let id, _, _), .requestRefused(let id, _, _), .requestRepeated(let id, _): id
        case .serviceRequestThrottled(let activation, let device, _): device ?? activation.device
        }
    }

    public var description: String {
        switch self {
        case .started(let activation, let until):
            "\(activation) started\(until.map { " until hub time \($0)" } ?? "")"
        case .ended(let activation):
            "\(activation) ended"
        case .requested(let device, let request, let startsAt):
            "\(device) asked for fault \(request.type) (close reason '\(request.closeReason)', delay \(request.delay), duration \(request.duration)); it starts at hub time \(startsAt)"
        case .requestRefused(let device, let type, let reason):
            "fault injection '\(type)' from \(device) refused: \(reason)"
        case .requestRepeated(let device, let type):
            "\(device) sent its fault injection '\(type)' again (DUP): acknowledged, not repeated"
        case .serviceRequestThrottled(let activation, let device, let operation):
            "service request \(operation)\(device.map { " for \($0)" } ?? "") answered 429 ThrottlingException: \(activation)"
        }
    }
}
