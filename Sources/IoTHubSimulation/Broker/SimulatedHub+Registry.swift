import IoTHubCore
import IoTHubSimulationCore
import NIOCore

/// Errors of hub operations on devices.
public enum HubOperationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No device with that id is registered.
    case deviceNotFound(DeviceID)

    public var description: String {
        switch self {
        case .deviceNotFound(let id): "device '\(id)' is not registered"
        }
    }
}

extension SimulatedHub {
    /// Every registered device, sorted by id.
    public func devices() async throws -> [DeviceRecord] {
        let driver = self.driver
        return try await loop.submit { driver.value.read { $0.registry.devices.values.sorted { $0.id < $1.id } } }.get()
    }

    /// Enables or disables a device. Disabling drops its live connection at once, without a
    /// packet; its next CONNECTs get CONNACK 5.
    /// - Throws: ``HubOperationError/deviceNotFound(_:)``.
    public func setStatus(_ status: DeviceRecord.Status, of deviceID: DeviceID) async throws {
        let driver = self.driver
        let found = try await loop.submit {
            driver.value.apply { machine, now in
                let actions = machine.setStatus(status, of: deviceID, at: now)
                return (actions != nil, actions ?? [])
            }
        }.get()
        guard found else { throw HubOperationError.deviceNotFound(deviceID) }
    }

    /// Revokes a device's credentials: replaces both keys (with random ones unless given) and
    /// drops its live connection without a packet. Tokens signed with the old keys are
    /// refused from then on (CONNACK 5).
    /// - Returns: the device with its new keys.
    /// - Throws: ``HubOperationError/deviceNotFound(_:)``.
    @discardableResult
    public func regenerateKeys(of deviceID: DeviceID, primary: DeviceKey? = nil, secondary: DeviceKey? = nil) async throws -> DeviceRecord {
        let driver = self.driver
        let device = try await loop.submit {
            driver.value.apply { machine, now in
                guard let (device, actions) = machine.regenerateKeys(of: deviceID, primary: primary, secondary: secondary, at: now) else {
                    return (DeviceRecord?.none, [])
                }
                return (device, actions)
            }
        }.get()
        guard let device else { throw HubOperationError.deviceNotFound(deviceID) }
        return device
    }

    /// Deletes a device: drops its connection and forgets its queue, session and twin.
    /// - Returns: whether the device existed.
    @discardableResult
    public func removeDevice(_ deviceID: DeviceID) async throws -> Bool {
        let driver = self.driver
        return try await loop.submit {
            driver.value.apply { machine, now in
                let actions = machine.removeDevice(deviceID, at: now)
                return (actions != nil, actions ?? [])
            }
        }.get()
    }

    /// The expiry (`se`) of the token the device's live connection authenticated with, or
    /// `nil` when it is not connected. The hub drops the connection once the
    /// ``HubConfiguration/tokenExpiry`` grace has passed after it.
    public func tokenExpiry(of deviceID: DeviceID) async throws -> HubTime? {
        let driver = self.driver
        return try await loop.submit { driver.value.read { $0.tokenExpiry(of: deviceID) } }.get()
    }

    /// Jumps the hub's clock to the first instant at which the device's token no longer
    /// serves it (``HubStateMachine/tokenEndTime(of:)``): a connected device is dropped at
    /// once (`se` plus the grace), and a disconnected one finds the token it last used
    /// refused (`se` plus the skew). The `expire_token` step.
    /// - Returns: how far the clock jumped, or `nil` when the device never connected (the
    ///   clock is then left alone).
    @discardableResult
    public func expireToken(of deviceID: DeviceID) async throws -> Duration? {
        let driver = self.driver
        let clock = self.clock
        return try await loop.submit { () -> Duration? in
            guard let end = driver.value.read({ $0.tokenEndTime(of: deviceID) }) else { return nil }
            let jump = max(.zero, end - clock.now())
            clock.advance(by: jump)
            driver.value.clockAdvanced(by: jump)
            return jump
        }.get()
    }

    /// Closes the device's live connection without a packet, as the hub does when it drops a
    /// device.
    /// - Returns: whether the device was connected.
    @discardableResult
    public func disconnect(_ deviceID: DeviceID, reason: DisconnectReason = .protocolViolation("dropped by the cloud side")) async throws -> Bool {
        let driver = self.driver
        return try await loop.submit {
            driver.value.apply { machine, now in
                let actions = machine.drop(deviceID, reason: reason, at: now)
                return (!actions.isEmpty, actions)
            }
        }.get()
    }

    /// The hub's current time.
    public func now() -> HubTime { clock.now() }
}

extension SimulatedHub {
    /// The registered shared access policies, by name.
    public func policies() async throws -> [String: AccessPolicy] {
        let driver = self.driver
        return try await loop.submit { driver.value.read { $0.registry.policies } }.get()
    }
}
