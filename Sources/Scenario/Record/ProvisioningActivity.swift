import IoTHubCore

/// Something the hub's Device Provisioning Service did with a registration, as the run
/// records it: structured for `expect: { provisioned: ... }`, with the service's own words
/// for the reports (never a secret).
public struct ProvisioningActivity: Sendable, Hashable {
    /// What happened.
    public enum Outcome: Sendable, Hashable {
        /// A CONNECT to the service was accepted.
        case connected
        /// A registration request was answered 202 `assigning`.
        case accepted
        /// The registration ended `assigned`: the device is in the hub's registry.
        case assigned(deviceID: String, hub: String)
        /// The registration ended `failed` (answered 200 with status `failed`).
        case failed
        /// The registration ended `disabled`: its enrollment is disabled.
        case disabled
        /// A request was refused with an error answer (`status`: 400, 401, 404, ...).
        case refused(status: Int?)

        /// `assigned`, `failed`, `refused`; `nil` while the registration goes on.
        public var finalStatus: String? {
            switch self {
            case .connected, .accepted: nil
            case .assigned: "assigned"
            case .failed: "failed"
            case .disabled: "disabled"
            case .refused: "refused"
            }
        }
    }

    /// The registration id, when the service could read it.
    public var registrationID: String?
    public var outcome: Outcome
    /// The service's account of it.
    public var text: String

    public init(registrationID: String?, outcome: Outcome, text: String) {
        self.registrationID = registrationID
        self.outcome = outcome
        self.text = text
    }

    /// The device the registration concerns: the registration id is the device id.
    public var device: DeviceID? { registrationID.flatMap { try? DeviceID($0) } }
}
