import IoTHubCore
import MQTTCore

/// Device Provisioning Service activity on the simulated hub's host.
public enum ProvisioningEvent: Sendable, Hashable, CustomStringConvertible {
    /// A CONNECT to the DPS was accepted (its token is checked at the registration request,
    /// as the real service does).
    case connected(RegistrationID, connection: ConnectionID)
    /// A registration request was accepted and answered 202 `assigning`.
    case registrationAccepted(RegistrationID, operationID: String, enrollment: String)
    /// The operation finished: the device is in the hub's registry as `deviceID`.
    case assigned(RegistrationID, deviceID: DeviceID, assignedHub: String, operationID: String)
    /// The operation finished as `disabled`: the enrollment that vouched for the device is
    /// disabled (answered 200 with status `disabled`).
    case disabled(RegistrationID, operationID: String, enrollment: String)
    /// The operation finished as `failed` (answered 200 with status `failed`).
    case failed(RegistrationID, operationID: String, reason: String)
    /// A request was refused with an error status (400, 401, 404) or left unanswered;
    /// `reason` says why (never a secret).
    case refused(RegistrationID?, status: Int?, reason: String)

    /// The registration the event concerns, if known.
    public var registrationID: RegistrationID? {
        switch self {
        case .connected(let id, _), .registrationAccepted(let id, _, _), .assigned(let id, _, _, _), .failed(let id, _, _), .disabled(let id, _, _): id
        case .refused(let id, _, _): id
        }
    }

    public var description: String {
        switch self {
        case .connected(let id, let connection):
            "#\(connection) \(id) connected to the Device Provisioning Service"
        case .registrationAccepted(let id, let operation, let enrollment):
            "\(id) registration request accepted (\(enrollment)), operation \(operation) assigning"
        case .assigned(let id, let deviceID, let hub, let operation):
            "\(id) assigned to \(hub) as device \(deviceID) (operation \(operation))"
        case .disabled(let id, let operation, let enrollment):
            "\(id) registration disabled (operation \(operation)): the \(enrollment) is disabled"
        case .failed(let id, let operation, let reason):
            "\(id) registration failed (operation \(operation)): \(reason)"
        case .refused(let id, let status, let reason):
            "\(id.map { "\($0) " } ?? "")request refused\(status.map { " with \($0)" } ?? ""): \(reason)"
        }
    }
}
