import IoTHubCore
import MQTTCore
import NIOCore

extension HubStateMachine {
    /// The device's twin, or `nil` for an unknown device.
    public func twin(of deviceID: DeviceID) -> DeviceTwin? {
        guard registry[deviceID] != nil else { return nil }
        return twins[deviceID] ?? DeviceTwin()
    }

    /// The service changes desired properties (and tags): the patch is merged (a `null`
    /// member deletes), the desired `$version` goes up, and a connected device subscribed to
    /// `$iothub/twin/PATCH/properties/desired/#` gets the patch with `$version` at QoS 0.
    /// Notifications are not queued for offline devices, as on IoT Hub.
    /// - Returns: `nil` for an unknown device, otherwise the new twin and the actions.
    public mutating func updateTwin(
        of deviceID: DeviceID,
        desired: [String: JSONValue]?,
        tags: [String: JSONValue]? = nil,
        at now: HubTime
    ) -> (twin: DeviceTwin, actions: [Action])? {
        guard var twin = twin(of: deviceID) else { return nil }
        var actions: [Action] = []
        if let tags { twin.applyTags(tags) }
        if let desired {
            twin.applyDesired(desired)
            actions.append(.emit(.twin(.desiredUpdated(deviceID, version: twin.desiredVersion))))
            if let connection = sessions[deviceID]?.connection,
                sessions[deviceID]?.subscriptions.contains(where: { $0.kind == .twinDesiredPatches }) == true,
                let topic = try? TopicName(IoTHubTopic.twinDesiredPatch(version: twin.desiredVersion).name)
            {
                var body = desired
                body["$version"] = .integer(Int64(twin.desiredVersion))
                actions.append(.send(.publish(PublishPacket(topic: topic, payload: ByteBuffer(string: JSONValue.object(body).jsonText))), to: connection))
            }
        }
        twins[deviceID] = twin
        return (twin, actions)
    }

    /// `$iothub/twin/GET/?$rid=` from the device: answers 200 with the desired and reported
    /// properties on `$iothub/twin/res/200/?$rid=`.
    mutating func twinRequested(requestID: String, from deviceID: DeviceID, actions: inout [Action]) {
        let twin = twin(of: deviceID) ?? DeviceTwin()
        actions.append(.emit(.twin(.requested(deviceID, requestID: requestID))))
        respondTwin(status: 200, requestID: requestID, version: nil, body: twin.deviceView.jsonText, to: deviceID, actions: &actions)
    }

    /// `$iothub/twin/PATCH/properties/reported/?$rid=` from the device: a JSON object is
    /// merged and answered 204 with the new `$version`; anything else is answered 400.
    mutating func reportedPatched(requestID: String, payload: ByteBuffer, from deviceID: DeviceID, actions: inout [Action]) {
        guard let json = try? JSONValue(parsing: payload.readableBytesView), let patch = json.objectValue else {
            actions.append(.emit(.twin(.reportedRejected(deviceID, requestID: requestID))))
            let message = #"{"errorCode":400004,"message":"the reported properties patch is not a JSON object"}"#
            respondTwin(status: 400, requestID: requestID, version: nil, body: message, to: deviceID, actions: &actions)
            return
        }
        var twin = self.twin(of: deviceID) ?? DeviceTwin()
        twin.applyReported(patch)
        twins[deviceID] = twin
        actions.append(.emit(.twin(.reportedUpdated(deviceID, version: twin.reportedVersion))))
        respondTwin(status: 204, requestID: requestID, version: twin.reportedVersion, body: "", to: deviceID, actions: &actions)
    }

    /// Sends a twin response at QoS 0, if the device holds the `$iothub/twin/res/#` subscription.
    private func respondTwin(status: Int, requestID: String, version: Int?, body: String, to deviceID: DeviceID, actions: inout [Action]) {
        guard let session = sessions[deviceID], let connection = session.connection,
            session.subscriptions.contains(where: { $0.kind == .twinResponses })
        else { return }
        guard let topic = try? TopicName(IoTHubTopic.twinResponse(status: status, requestID: requestID, version: version).name) else { return }
        actions.append(.send(.publish(PublishPacket(topic: topic, payload: ByteBuffer(string: body))), to: connection))
    }
}
