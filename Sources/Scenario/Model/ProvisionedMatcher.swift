/// What `expect: { provisioned: ... }` looks for: the hub's Device Provisioning Service ends
/// the device's registration with this status (and, when given, this hub, device id or error
/// status).
public struct ProvisionedMatcher: Sendable, Hashable, CustomStringConvertible {
    /// The end of a registration a scenario can expect.
    public enum Status: String, Sendable, Hashable, CaseIterable {
        /// Assigned to a hub: the device is in its registry.
        case assigned
        /// The operation ended `failed` (for example, the device exists with other credentials).
        case failed
        /// The enrollment is disabled (`enabled: false`).
        case disabled
        /// The service answered a request with an error status (400, 401, 404, ...).
        case refused
    }

    public var status: Status
    public var assignedHub: String?
    public var deviceID: String?
    /// With `refused`: the error answer's status.
    public var statusCode: Int?

    public init(status: Status, assignedHub: String? = nil, deviceID: String? = nil, statusCode: Int? = nil) {
        self.status = status
        self.assignedHub = assignedHub
        self.deviceID = deviceID
        self.statusCode = statusCode
    }

    /// Whether `activity` is the end this matcher looks for; `nil` when `activity` ends no
    /// registration (a CONNECT, a 202).
    public func matches(_ activity: ProvisioningActivity) -> Bool? {
        switch activity.outcome {
        case .connected, .accepted:
            return nil
        case .assigned(let device, let hub):
            return status == .assigned && (assignedHub == nil || assignedHub == hub) && (deviceID == nil || deviceID == device)
        case .failed:
            return status == .failed
        case .disabled:
            return status == .disabled
        case .refused(let code):
            return status == .refused && (statusCode == nil || statusCode == code)
        }
    }

    public var description: String {
        var text = status.rawValue
        if let assignedHub { text += " to \(assignedHub)" }
        if let deviceID { text += " as \(deviceID)" }
        if let statusCode { text += " with \(statusCode)" }
        return text
    }
}
