import IoTHubCore
import MQTTCore
import NIOCore

/// Something the simulated hub did or saw, for the runner's expectations and the reports.
public enum HubEvent: Sendable, Hashable {
    /// A device connection was accepted with CONNACK 0.
    case connected(DeviceID, connection: ConnectionID, cleanSession: Bool, sessionPresent: Bool, keepAlive: UInt16)
    /// A CONNECT was refused with `code`.
    case connectionRefused(clientID: String, connection: ConnectionID, code: ConnectReturnCode, reason: String)
    /// A connection ended. `device` is nil when it never authenticated.
    case disconnected(DeviceID?, connection: ConnectionID, reason: DisconnectReason)
    /// A subscription was granted.
    case subscribed(DeviceID, filter: TopicFilter, grantedQoS: MQTTQoS)
    /// A subscription was removed.
    case unsubscribed(DeviceID, filter: TopicFilter)
    /// A C2D message entered the device's queue.
    case cloudToDeviceEnqueued(DeviceID, messageID: String, queueDepth: Int)
    /// A C2D message was sent to the device.
    case cloudToDeviceDelivered(DeviceID, messageID: String, qos: MQTTQoS, duplicate: Bool)
    /// A C2D message left the queue: acknowledged (PUBACK, or sent at QoS 0).
    case cloudToDeviceCompleted(DeviceID, messageID: String)
    /// A C2D message was dropped: expired or delivered too often.
    case cloudToDeviceDeadLettered(DeviceID, messageID: String, reason: String)
    /// A C2D message was refused at submission.
    case cloudToDeviceRejected(DeviceID, reason: String)
    /// Device-to-cloud telemetry arrived (or a will, with `iothub-MessageType=Will`).
    case telemetry(DeviceID, properties: PropertyBag, payload: ByteBuffer)
    /// The hub's clock jumped forward.
    case clockAdvanced(by: Duration)
    /// Something happened to a device twin.
    case twin(TwinEvent)
    /// Something happened to a direct method call.
    case directMethod(DirectMethodEvent)
    /// A hub fault started or ended, or a device asked for one (fault-injection protocol).
    /// What a fault does to a connection is reported as `disconnected` with
    /// ``DisconnectReason/fault(_:_:)`` (after `connectionRefused` when CONNECT got a CONNACK).
    case fault(HubFaultEvent)
    /// Something happened on the Device Provisioning Service that shares the hub's listener.
    case provisioning(ProvisioningEvent)
}

/// Device twin activity.
public enum TwinEvent: Sendable, Hashable, CustomStringConvertible {
    /// The device the event concerns.
    public var deviceID: DeviceID {
        switch self {
        case .requested(let id, _), .reportedUpdated(let id, _), .reportedRejected(let id, _), .desiredUpdated(let id, _): id
        }
    }

    /// The device asked for its twin (`$iothub/twin/GET`).
    case requested(DeviceID, requestID: String)
    /// The device's reported properties changed; `version` is the new reported `$version`.
    case reportedUpdated(DeviceID, version: Int)
    /// A reported patch was not a JSON object (answered 400).
    case reportedRejected(DeviceID, requestID: String)
    /// The service changed desired properties; `version` is the new desired `$version`.
    case desiredUpdated(DeviceID, version: Int)

    public var description: String {
        switch self {
        case .requested(let id, let rid): "\(id) requested its twin ($rid=\(rid))"
        case .reportedUpdated(let id, let version): "\(id) reported properties, $version \(version)"
        case .reportedRejected(let id, let rid): "\(id) sent a reported patch that is not a JSON object ($rid=\(rid)), answered 400"
        case .desiredUpdated(let id, let version): "desired properties of \(id) changed, $version \(version)"
        }
    }
}

/// Direct method activity.
public enum DirectMethodEvent: Sendable, Hashable, CustomStringConvertible {
    /// The device the event concerns.
    public var deviceID: DeviceID {
        switch self {
        case .invoked(let id, _, _), .answered(let id, _, _), .timedOut(let id, _), .deviceNotOnline(let id, _), .unmatchedResponse(let id, _): id
        }
    }

    /// The hub sent a method request to the device.
    case invoked(DeviceID, methodName: String, requestID: String)
    /// The device answered with `status`.
    case answered(DeviceID, requestID: String, status: Int)
    /// The device did not answer in time (504).
    case timedOut(DeviceID, requestID: String)
    /// The device was not online and subscribed (404 DeviceNotOnline).
    case deviceNotOnline(DeviceID, methodName: String)
    /// The device answered a `$rid` the hub is not waiting for.
    case unmatchedResponse(DeviceID, requestID: String)

    public var description: String {
        switch self {
        case .invoked(let id, let name, let rid): "method \(name) sent to \(id) ($rid=\(rid))"
        case .answered(let id, let rid, let status): "\(id) answered method $rid=\(rid) with status \(status)"
        case .timedOut(let id, let rid): "\(id) did not answer method $rid=\(rid) in time (504)"
        case .deviceNotOnline(let id, let name): "method \(name) for \(id): device not online (404)"
        case .unmatchedResponse(let id, let rid): "\(id) answered unknown method $rid=\(rid)"
        }
    }
}

/// Why the hub ended a connection.
public enum DisconnectReason: Sendable, Hashable, CustomStringConvertible {
    /// The device sent DISCONNECT.
    case clientDisconnected
    /// The network connection closed without DISCONNECT.
    case connectionLost
    /// The device's SAS token expired while connected (IoT Hub error 401003).
    case tokenExpired
    /// No packet within the keep-alive timeout.
    case keepAliveTimeout(Duration)
    /// A newer connection for the same device took over (400027).
    case replacedByNewConnection
    /// The device broke a rule: `detail` names it (MQTT statement or IoT Hub limit).
    case protocolViolation(String)
    /// CONNECT was refused.
    case refused(ConnectReturnCode)
    /// The hub stopped.
    case hubStopped
    /// The device was disabled in the registry.
    case deviceDisabled
    /// The device's keys were regenerated (revoked).
    case credentialsRevoked
    /// The device was deleted from the registry.
    case deviceDeleted
    /// Too many connections were waiting for their CONNECT to be accepted; this one was closed
    /// as soon as it opened.
    case tooManyPendingConnections(limit: Int)
    /// `limit` connections were waiting for their CONNECT to be accepted when a new one
    /// opened; this one had waited longest (`waited`) and was closed to make room.
    case evictedWhilePending(limit: Int, waited: Duration)
    /// A hub fault (``HubFault``) ended the connection; the effect says how.
    case fault(HubFaultActivation, FaultEffect)
    /// The TLS handshake failed before any MQTT: the hub's TLS profile refused what the client
    /// offered, or the client gave up (it did not trust the hub's certificate, say). `reason`
    /// says which in plain words.
    case tlsRefused(String)
    /// The WebSocket transport ended the connection: the HTTP upgrade was refused (a wrong
    /// path or subprotocol, say), or a frame broke MQTT over WebSockets (a text frame, a frame
    /// over the size bound). `reason` says which in plain words.
    case webSocketRefused(String)

    public var description: String {
        switch self {
        case .clientDisconnected: "client sent DISCONNECT"
        case .connectionLost: "connection lost"
        case .tokenExpired: "SAS token expired"
        case .keepAliveTimeout(let timeout): "keep-alive timeout after \(timeout)"
        case .replacedByNewConnection: "replaced by a newer connection for the same device"
        case .protocolViolation(let detail): "protocol violation: \(detail)"
        case .refused(let code): "CONNECT refused with \(code)"
        case .credentialsRevoked: "credentials revoked"
        case .hubStopped: "hub stopped"
        case .deviceDisabled: "device disabled"
        case .deviceDeleted: "device deleted"
        case .tooManyPendingConnections(let limit): "closed at once: \(limit) connections were already waiting for their CONNECT to be accepted"
        case .evictedWhilePending(let limit, let waited): "closed to make room for a new connection: it had waited \(waited.components.seconds) s without an accepted CONNECT, and \(limit) connections were waiting"
        case .fault(let activation, let effect): "\(activation): \(Self.describe(effect, of: activation))"
        case .tlsRefused(let reason): "TLS handshake failed: \(reason)"
        case .webSocketRefused(let reason): "WebSocket refused: \(reason)"
        }
    }
}

extension DisconnectReason {
    fileprivate static func describe(_ effect: FaultEffect, of activation: HubFaultActivation) -> String {
        switch effect {
        case .dropped:
            switch activation.injection?.type {
            case .killTcp: "the hub killed the TCP connection"
            case .shutDownMqtt: "the hub shut the MQTT connection down"
            default: "the hub restarted and dropped the connection"
            }
        case .closedWhileDown:
            "the hub is down; the connection was closed without an answer"
        case .connectRefused(let code):
            "CONNECT refused with \(code)"
        case .telemetryCut:
            activation.fault == .throttle
                ? "telemetry throttled (429 ThrottlingException); the hub cut the connection without PUBACK"
                : "telemetry over the daily message quota (403002 IotHubQuotaExceeded); the hub cut the connection without PUBACK"
        }
    }
}
