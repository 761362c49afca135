import IoTHubCore
import IoTHubSimulationCore
import NIOCore

extension SimulatedHub {
    /// The device's twin.
    /// - Throws: ``HubOperationError/deviceNotFound(_:)``.
    public func twin(of deviceID: DeviceID) async throws -> DeviceTwin {
        let driver = self.driver
        guard let twin = try await loop.submit({ driver.value.read { $0.twin(of: deviceID) } }).get() else {
            throw HubOperationError.deviceNotFound(deviceID)
        }
        return twin
    }

    /// Changes desired properties and tags with JSON merge patches; a connected device
    /// subscribed to desired-property patches is notified at once.
    /// - Returns: the updated twin.
    /// - Throws: ``HubOperationError/deviceNotFound(_:)``.
    @discardableResult
    public func updateTwin(of deviceID: DeviceID, desired: [String: JSONValue]?, tags: [String: JSONValue]? = nil) async throws -> DeviceTwin {
        let driver = self.driver
        let twin = try await loop.submit {
            driver.value.apply { machine, now in
                guard let (twin, actions) = machine.updateTwin(of: deviceID, desired: desired, tags: tags, at: now) else {
                    return (DeviceTwin?.none, [])
                }
                return (twin, actions)
            }
        }.get()
        guard let twin else { throw HubOperationError.deviceNotFound(deviceID) }
        return twin
    }

    /// Invokes a direct method and waits for the outcome: the device's answer, 404 when it is
    /// not online (after the connect timeout), or a timeout.
    /// - Throws: ``DirectMethodError`` for an invalid name or timeout.
    public func invokeMethod(_ request: DirectMethodRequest, on deviceID: DeviceID) async throws -> DirectMethodResult {
        try request.validate()
        let driver = self.driver
        return try await loop.flatSubmit { driver.value.invokeMethod(request, on: deviceID) }.get()
    }
}
