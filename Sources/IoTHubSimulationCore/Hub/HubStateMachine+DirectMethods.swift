import IoTHubCore
import MQTTCore
import NIOCore

extension HubStateMachine {
    /// The service invokes a direct method on a device. The request goes out at QoS 0 on
    /// `$iothub/methods/POST/{name}/?$rid={rid}` when the device is connected and subscribed;
    /// an offline device gets ``DirectMethodResult/deviceNotOnline`` at once, unless the
    /// request allows a connect timeout. The outcome arrives as a
    /// ``Action/completeMethod(_:result:)`` action with the same `invocation`.
    public mutating func invokeMethod(_ request: DirectMethodRequest, on deviceID: DeviceID, invocation: UInt64, at now: HubTime) -> [Action] {
        guard registry[deviceID] != nil else { return [.completeMethod(invocation, result: .deviceNotFound)] }
        var actions: [Action] = []
        if canReceiveMethods(deviceID) {
            methods[invocation] = PendingMethod(deviceID: deviceID, request: request, state: .awaitingDevice(until: now))
            sendMethod(invocation, at: now, actions: &actions)
        } else if request.connectTimeout > .zero {
            let until = now + request.connectTimeout
            methods[invocation] = PendingMethod(deviceID: deviceID, request: request, state: .awaitingDevice(until: until))
            actions.append(.wakeUp(at: until))
        } else {
            actions.append(.emit(.directMethod(.deviceNotOnline(deviceID, methodName: request.methodName))))
            actions.append(.completeMethod(invocation, result: .deviceNotOnline))
        }
        return actions
    }

    /// Whether the device is connected and holds the methods subscription.
    func canReceiveMethods(_ deviceID: DeviceID) -> Bool {
        guard let session = sessions[deviceID], session.connection != nil else { return false }
        return session.subscriptions.contains { $0.kind == .directMethods }
    }

    /// Sends every method call waiting for this device, now that it can receive them.
    mutating func sendWaitingMethods(to deviceID: DeviceID, at now: HubTime, actions: inout [Action]) {
        guard canReceiveMethods(deviceID) else { return }
        let waiting = methods.filter { $0.value.deviceID == deviceID && { if case .awaitingDevice = $0 { true } else { false } }($0.value.state) }
        for invocation in waiting.keys.sorted() { sendMethod(invocation, at: now, actions: &actions) }
    }

    private mutating func sendMethod(_ invocation: UInt64, at now: HubTime, actions: inout [Action]) {
        guard var pending = methods[invocation], let connection = sessions[pending.deviceID]?.connection else { return }
        lastMethodRequestNumber += 1
        let requestID = String(lastMethodRequestNumber)
        let name = pending.request.methodName
        guard let topic = try? TopicName(IoTHubTopic.methodRequest(name: name, requestID: requestID).name) else {
            methods[invocation] = nil
            actions.append(.completeMethod(invocation, result: .deviceNotOnline))
            return
        }
        let until = now + pending.request.responseTimeout
        pending.state = .sent(requestID: requestID, until: until)
        methods[invocation] = pending
        let body = pending.request.payload.map { ByteBuffer(string: $0.jsonText) } ?? ByteBuffer()
        actions.append(.send(.publish(PublishPacket(topic: topic, payload: body)), to: connection))
        actions.append(.emit(.directMethod(.invoked(pending.deviceID, methodName: name, requestID: requestID))))
        actions.append(.wakeUp(at: until))
    }

    /// The device answered on `$iothub/methods/res/{status}/?$rid={rid}`.
    mutating func methodAnswered(status: Int, requestID: String, payload: ByteBuffer, from deviceID: DeviceID, actions: inout [Action]) {
        guard
            let invocation = methods.first(where: { $0.value.deviceID == deviceID && $0.value.state.requestID == requestID })?.key
        else {
            actions.append(.emit(.directMethod(.unmatchedResponse(deviceID, requestID: requestID))))
            return
        }
        methods[invocation] = nil
        let body: JSONValue?
        if payload.readableBytes == 0 {
            body = nil
        } else if let json = try? JSONValue(parsing: payload.readableBytesView) {
            body = json
        } else {
            body = .string(String(decoding: payload.readableBytesView, as: UTF8.self))
        }
        actions.append(.emit(.directMethod(.answered(deviceID, requestID: requestID, status: status))))
        actions.append(.completeMethod(invocation, result: .response(status: status, payload: body)))
    }

    /// Ends method calls whose deadline passed: 404 for a device that never came online,
    /// 504 for one that did not answer.
    mutating func expireMethods(at now: HubTime, actions: inout [Action]) {
        for (invocation, pending) in methods.sorted(by: { $0.key < $1.key }) where pending.state.deadline <= now {
            methods[invocation] = nil
            switch pending.state {
            case .awaitingDevice:
                actions.append(.emit(.directMethod(.deviceNotOnline(pending.deviceID, methodName: pending.request.methodName))))
                actions.append(.completeMethod(invocation, result: .deviceNotOnline))
            case .sent(let requestID, _):
                actions.append(.emit(.directMethod(.timedOut(pending.deviceID, requestID: requestID))))
                actions.append(.completeMethod(invocation, result: .timedOut))
            }
        }
    }
}

extension PendingMethod.State {
    var requestID: String? {
        if case .sent(let requestID, _) = self { requestID } else { nil }
    }
}
