import HarnessTestSupport
import IoTHubCore
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import Testing

/// Hub faults started and ended through the machine: restart, throttle, auth_error and
/// quota_exceeded, hub-wide and for one device, on the hub's own clock.
@Suite struct HubFaultTests {
    let now = HubFixtures.start
    let device = HubFixtures.deviceID
    let other = HubFixtures.deviceIDLiteral("other")

    func machine(_ configuration: HubConfiguration = HubConfiguration(hostName: HubFixtures.hostName)) -> HubStateMachine {
        HubStateMachine(
            configuration: configuration,
            registry: DeviceRegistry(devices: [DeviceRecord(id: device, primaryKey: HubFixtures.key), DeviceRecord(id: other, primaryKey: HubFixtures.key)])
        )
    }

    func connect(_ machine: inout HubStateMachine, _ id: DeviceID, connection: ConnectionID, at time: HubTime) -> [HubStateMachine.Action] {
        var actions = machine.connectionOpened(connection, at: time)
        actions += machine.packetReceived(
            .connect(HubFixtures.connect(clientID: id.string, device: id.string, expiry: time.unixSeconds + 3600, cleanSession: false)),
            on: connection,
            at: time
        )
        return actions
    }

    func subscribe(_ machine: inout HubStateMachine, _ id: DeviceID, connection: ConnectionID, at time: HubTime) {
        let filter = topicFilter("devices/\(id)/messages/devicebound/#")
        _ = machine.packetReceived(.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: filter, qos: .atLeastOnce)])), on: connection, at: time)
    }

    func telemetry(_ machine: inout HubStateMachine, _ id: DeviceID, connection: ConnectionID, at time: HubTime, packetID: UInt16 = 7) -> [HubStateMachine.Action] {
        let topic = topicName("devices/\(id)/messages/events/")
        return machine.packetReceived(.publish(PublishPacket(topic: topic, payload: ByteBuffer(string: "21.5"), qos: .atLeastOnce, packetID: packetID)), on: connection, at: time)
    }

    func accepted(_ actions: [HubStateMachine.Action]) -> Bool {
        actions.sentPackets.contains(.connack(ConnAckPacket(sessionPresent: true, returnCode: .accepted)))
            || actions.sentPackets.contains(.connack(ConnAckPacket(sessionPresent: false, returnCode: .accepted)))
    }

    // MARK: restart

    @Test("a hub-wide restart drops every connection, closes new ones while down, and persistent sessions, queued and unacknowledged C2D survive it")
    func restartHubWide() throws {
        var hub = machine()
        _ = connect(&hub, device, connection: 1, at: now)
        subscribe(&hub, device, connection: 1, at: now)
        _ = connect(&hub, other, connection: 2, at: now)
        // Sent at QoS 1 and never acknowledged: locked when the hub restarts.
        let first = try hub.enqueue(CloudToDeviceMessage(payload: ByteBuffer(string: "on")), for: device, messageID: "m1", at: now)
        #expect(first.events.contains(.cloudToDeviceDelivered(device, messageID: "m1", qos: .atLeastOnce, duplicate: false)))

        let restart = HubFaultActivation(fault: .restart, device: nil)
        let start = hub.startFault(.restart, device: nil, at: now + .seconds(1))
        #expect(start.events.first == .fault(.started(restart, until: nil)))
        #expect(Set(start.closes) == [1, 2])
        #expect(start.disconnectReasons == [.fault(restart, .dropped), .fault(restart, .dropped)])
        #expect(hub.isConnected(device) == false)
        #expect(hub.activeFaults(at: now + .seconds(1)) == [restart])

        // While down: the service still queues, new connections are closed at once.
        _ = try hub.enqueue(CloudToDeviceMessage(payload: ByteBuffer(string: "off")), for: device, messageID: "m2", at: now + .seconds(2))
        let whileDown = hub.connectionOpened(3, at: now + .seconds(2))
        #expect(whileDown.closes == [3])
        #expect(whileDown.disconnectReasons == [.fault(restart, .closedWhileDown)])
        #expect(hub.pendingConnectionCount == 0)

        let (ended, end) = hub.endFault(.restart, device: nil, at: now + .seconds(3))
        #expect(ended)
        #expect(end.events == [.fault(.ended(restart))])
        #expect(hub.activeFaults(at: now + .seconds(3)).isEmpty)

        // Back: session present, m1 redelivered with DUP, then m2, no resubscription needed.
        let back = connect(&hub, device, connection: 4, at: now + .seconds(4))
        #expect(back.sentPackets.first == .connack(ConnAckPacket(sessionPresent: true, returnCode: .accepted)))
        let publishes = back.sentPackets.compactMap { if case .publish(let publish) = $0 { publish } else { nil } }
        #expect(publishes.map { String(buffer: $0.payload) } == ["on", "off"])
        #expect(publishes.map(\.dup) == [true, false])
    }

    @Test("a restart of one device drops it alone and closes its CONNECTs without CONNACK until it ends; other devices carry on")
    func restartOneDevice() {
        var hub = machine()
        _ = connect(&hub, device, connection: 1, at: now)
        _ = connect(&hub, other, connection: 2, at: now)
        let restart = HubFaultActivation(fault: .restart, device: device)
        let start = hub.startFault(.restart, device: device, at: now)
        #expect(start.closes == [1])
        #expect(start.disconnectReasons == [.fault(restart, .dropped)])
        #expect(hub.isConnected(other))

        let retry = connect(&hub, device, connection: 3, at: now + .seconds(1))
        #expect(retry.sentPackets.isEmpty)
        #expect(retry.closes == [3])
        #expect(retry.disconnectReasons == [.fault(restart, .closedWhileDown)])
        #expect(accepted(connect(&hub, other, connection: 4, at: now + .seconds(1))))

        // Ending the hub-wide restart (there is none) does not end the device's.
        #expect(hub.endFault(.restart, device: nil, at: now + .seconds(2)).ended == false)
        #expect(hub.endFault(.restart, device: device, at: now + .seconds(2)).ended)
        #expect(accepted(connect(&hub, device, connection: 5, at: now + .seconds(2))))
    }

    // MARK: throttle and auth_error

    @Test("throttle refuses CONNECT with CONNACK 5 by default, and exactly for its duration on the hub's clock")
    func throttleWindow() {
        var hub = machine()
        let throttle = HubFaultActivation(fault: .throttle, device: nil)
        let start = hub.startFault(.throttle, device: nil, duration: .seconds(10), at: now)
        #expect(start.events == [.fault(.started(throttle, until: now + .seconds(10)))])
        #expect(start.contains(.wakeUp(at: now + .seconds(10))))
        #expect(hub.nextDeadline() == now + .seconds(10))

        let refused = connect(&hub, device, connection: 1, at: now + (.seconds(10) - .nanoseconds(1)))
        #expect(refused.sentPackets == [.connack(ConnAckPacket(sessionPresent: false, returnCode: .notAuthorized))])
        #expect(refused.disconnectReasons == [.fault(throttle, .connectRefused(.notAuthorized))])
        let refusal = refused.events.first { if case .connectionRefused = $0 { true } else { false } }
        guard case .connectionRefused(_, _, _, let reason) = refusal else {
            Issue.record("no connectionRefused event in \(refused.events)")
            return
        }
        #expect(reason.contains("hub fault throttle (hub-wide)"))

        #expect(hub.tick(at: now + .seconds(10)).events == [.fault(.ended(throttle))])
        #expect(accepted(connect(&hub, device, connection: 2, at: now + .seconds(10))))
    }

    @Test("the throttled CONNACK is a setting: 3 (server unavailable) when chosen", arguments: HubConfiguration.ThrottledConnectRefusal.allCases)
    func throttleCode(_ setting: HubConfiguration.ThrottledConnectRefusal) {
        var hub = machine(HubConfiguration(hostName: HubFixtures.hostName, throttledConnectRefusal: setting))
        _ = hub.startFault(.throttle, device: device, at: now)
        let refused = connect(&hub, device, connection: 1, at: now)
        #expect(refused.sentPackets == [.connack(ConnAckPacket(sessionPresent: false, returnCode: setting.returnCode))])
        #expect(setting.returnCode.rawValue == (setting == .serverUnavailable ? 3 : 5))
        // Scoped to one device: the other connects.
        #expect(accepted(connect(&hub, other, connection: 2, at: now)))
    }

    @Test("while throttled, telemetry on a live connection cuts it without PUBACK and is not forwarded")
    func throttleTelemetry() {
        var hub = machine()
        _ = connect(&hub, device, connection: 1, at: now)
        _ = hub.startFault(.throttle, device: device, at: now)
        let cut = telemetry(&hub, device, connection: 1, at: now)
        #expect(cut.sentPackets.isEmpty)
        #expect(cut.closes == [1])
        #expect(cut.disconnectReasons == [.fault(HubFaultActivation(fault: .throttle, device: device), .telemetryCut)])
        #expect(!cut.events.contains { if case .telemetry = $0 { true } else { false } })
    }

    @Test("auth_error refuses every CONNECT with CONNACK 5 and leaves live connections alone")
    func authError() {
        var hub = machine()
        _ = connect(&hub, other, connection: 1, at: now)
        let authError = HubFaultActivation(fault: .authError, device: nil)
        _ = hub.startFault(.authError, device: nil, at: now)
        let refused = connect(&hub, device, connection: 2, at: now)
        #expect(refused.sentPackets == [.connack(ConnAckPacket(sessionPresent: false, returnCode: .notAuthorized))])
        #expect(refused.disconnectReasons == [.fault(authError, .connectRefused(.notAuthorized))])
        #expect(hub.isConnected(other))
        #expect(telemetry(&hub, other, connection: 1, at: now).sentPackets == [.puback(packetID: 7)])
        _ = hub.endFault(.authError, device: nil, at: now + .seconds(1))
        #expect(accepted(connect(&hub, device, connection: 3, at: now + .seconds(1))))
    }

    // MARK: quota_exceeded

    @Test("quota_exceeded lets CONNECT succeed, then cuts the connection at the first telemetry, without PUBACK")
    func quotaExceeded() {
        var hub = machine()
        _ = hub.startFault(.quotaExceeded, device: nil, duration: .seconds(60), at: now)
        #expect(accepted(connect(&hub, device, connection: 1, at: now)))
        let ping = hub.packetReceived(.pingreq, on: 1, at: now)
        #expect(ping.sentPackets == [.pingresp])
        let cut = telemetry(&hub, device, connection: 1, at: now + .seconds(1))
        #expect(cut.sentPackets.isEmpty)
        #expect(cut.disconnectReasons == [.fault(HubFaultActivation(fault: .quotaExceeded, device: nil), .telemetryCut)])
        #expect(cut.disconnectReasons.first?.description.contains("daily message quota") == true)
    }

    @Test("a fault started again replaces the earlier one of the same kind and scope")
    func restartReplaces() {
        var hub = machine()
        let throttle = HubFaultActivation(fault: .throttle, device: device)
        _ = hub.startFault(.throttle, device: device, duration: .seconds(5), at: now)
        let again = hub.startFault(.throttle, device: device, duration: .seconds(60), at: now + .seconds(1))
        #expect(again.events == [.fault(.ended(throttle)), .fault(.started(throttle, until: now + .seconds(61)))])
        #expect(hub.tick(at: now + .seconds(5)).events.isEmpty)
        #expect(hub.activeFaults(at: now + .seconds(5)) == [throttle])
    }

    // MARK: service REST API

    @Test("while throttled, service requests for the device (or any, hub-wide) are answered 429 ThrottlingException")
    func serviceThrottled() {
        var hub = machine()
        #expect(hub.throttleServiceRequest(for: device, operation: "sendCloudToDevice", at: now).throttledBy == nil)
        _ = hub.startFault(.throttle, device: device, at: now)
        let (activation, actions) = hub.throttleServiceRequest(for: device, operation: "sendCloudToDevice", at: now)
        let throttle = HubFaultActivation(fault: .throttle, device: device)
        #expect(activation == throttle)
        #expect(actions.events == [.fault(.serviceRequestThrottled(throttle, device: device, operation: "sendCloudToDevice"))])
        #expect(hub.throttleServiceRequest(for: other, operation: "getTwin", at: now).throttledBy == nil)

        _ = hub.startFault(.throttle, device: nil, at: now)
        #expect(hub.throttleServiceRequest(for: other, operation: "getTwin", at: now).throttledBy == HubFaultActivation(fault: .throttle, device: nil))

        let response = ServiceResponse.throttled(by: throttle)
        #expect(response.status == 429)
        #expect(response.headers["iothub-errorcode"] == "ThrottlingException")
        #expect(response.bodyText.contains("ErrorCode:ThrottlingException"))
    }
}
