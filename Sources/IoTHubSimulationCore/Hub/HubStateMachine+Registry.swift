import IoTHubCore
import MQTTCore

extension HubStateMachine {
    /// Adds a device, or replaces it. Replacing an enabled device with a disabled one, or
    /// changing its keys, drops its live connection as ``setStatus(_:of:at:)`` and
    /// ``regenerateKeys(of:primary:secondary:at:)`` do.
    public mutating func upsert(_ device: DeviceRecord, at now: HubTime) -> [Action] {
        let previous = registry[device.id]
        registry.upsert(device)
        guard let previous else { return [] }
        if previous.status == .enabled, device.status == .disabled {
            return drop(device.id, reason: .deviceDisabled, at: now)
        }
        if previous.keys != device.keys || previous.authentication != device.authentication {
            return drop(device.id, reason: .credentialsRevoked, at: now)
        }
        return []
    }

    /// Enables or disables a device. Disabling drops its live connection without a packet;
    /// further CONNECTs are refused with CONNACK 5 (whether the real hub answers 3 or 5 is
    /// unconfirmed; the C SDK documents 5 for every CONNECT failure).
    /// - Returns: `nil` when the device is unknown, otherwise the actions.
    public mutating func setStatus(_ status: DeviceRecord.Status, of deviceID: DeviceID, at now: HubTime) -> [Action]? {
        guard var device = registry[deviceID] else { return nil }
        device.status = status
        return upsert(device, at: now)
    }

    /// Replaces a device's keys (new random ones when not given) and drops its live
    /// connection, so a device that cannot mint a token with the new key stays out: the
    /// `revoke` of a scenario.
    /// - Returns: `nil` when the device is unknown, otherwise the new record and the actions.
    public mutating func regenerateKeys(
        of deviceID: DeviceID,
        primary: DeviceKey? = nil,
        secondary: DeviceKey? = nil,
        at now: HubTime
    ) -> (device: DeviceRecord, actions: [Action])? {
        guard var device = registry[deviceID] else { return nil }
        device.primaryKey = primary ?? DeviceKey.random()
        device.secondaryKey = secondary ?? DeviceKey.random()
        return (device, upsert(device, at: now))
    }

    /// Deletes a device: drops its connection and forgets its session, queue and twin.
    /// - Returns: `nil` when the device is unknown, otherwise the actions.
    public mutating func removeDevice(_ deviceID: DeviceID, at now: HubTime) -> [Action]? {
        guard registry[deviceID] != nil else { return nil }
        var actions = drop(deviceID, reason: .deviceDeleted, at: now)
        registry.remove(deviceID)
        if let session = sessions.removeValue(forKey: deviceID) {
            for message in session.queue {
                actions.append(.emit(.cloudToDeviceDeadLettered(deviceID, messageID: message.messageID, reason: "device deleted")))
            }
        }
        twins[deviceID] = nil
        return actions
    }

    /// Closes the device's live connection, if any, without a packet.
    public mutating func drop(_ deviceID: DeviceID, reason: DisconnectReason, at now: HubTime) -> [Action] {
        guard let connection = sessions[deviceID]?.connection else { return [] }
        var actions: [Action] = []
        end(connection, reason: reason, at: now, actions: &actions)
        return actions
    }

    /// The expiry (`se`) of the token the device's live connection authenticated with, or
    /// `nil` when it is not connected. The hub drops the connection once the
    /// ``HubConfiguration/tokenExpiry`` grace has passed after it.
    public func tokenExpiry(of deviceID: DeviceID) -> HubTime? {
        guard let connection = sessions[deviceID]?.connection else { return nil }
        return connections[connection]?.tokenExpiry
    }

    /// The first instant at which the device's token stops serving it: when connected, the
    /// drop time of its live connection (`se` plus the grace); otherwise the time from which
    /// the token it last connected with is refused at CONNECT (`se` plus the skew). `nil`
    /// when the device never connected. The `expire_token` step jumps the clock here.
    public func tokenEndTime(of deviceID: DeviceID) -> HubTime? {
        guard let session = sessions[deviceID] else { return nil }
        if let connection = session.connection, let drop = connections[connection]?.tokenDropTime { return drop }
        return session.lastTokenExpiry.map { configuration.tokenExpiry.refusalTime(expiry: $0) }
    }
}
