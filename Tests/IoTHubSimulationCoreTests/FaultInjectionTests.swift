import HarnessTestSupport
import IoTHubCore
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import Testing

/// The Azure IoT SDKs' fault-injection protocol: telemetry with the `AzIoTHub_Fault*`
/// properties makes the hub inject a fault for the sending device, after the delay, for the
/// duration, on the hub's clock.
@Suite struct FaultInjectionTests {
    let now = HubFixtures.start
    let device = HubFixtures.deviceID

    func bag(_ type: String?, reason: String? = "boom", delay: String? = nil, duration: String? = nil) -> PropertyBag {
        var bag = PropertyBag()
        if let type { bag.append("AzIoTHub_FaultOperationType", type) }
        if let reason { bag.append("AzIoTHub_FaultOperationCloseReason", reason) }
        if let delay { bag.append("AzIoTHub_FaultOperationDelayInSecs", delay) }
        if let duration { bag.append("AzIoTHub_FaultOperationDurationInSecs", duration) }
        return bag
    }

    func connected() -> HubStateMachine {
        var machine = HubFixtures.machine()
        _ = machine.connectionOpened(1, at: now)
        _ = machine.packetReceived(.connect(HubFixtures.connect(cleanSession: false)), on: 1, at: now)
        return machine
    }

    func send(_ bag: PropertyBag, on connection: ConnectionID = 1, dup: Bool = false, to machine: inout HubStateMachine, at time: HubTime? = nil) -> [HubStateMachine.Action] {
        let topic = topicName("devices/esp8266/messages/events/\(bag.encoded)")
        let publish = PublishPacket(topic: topic, payload: ByteBuffer(string: " "), qos: .atLeastOnce, packetID: 9, dup: dup)
        return machine.packetReceived(.publish(publish), on: connection, at: time ?? now)
    }

    func reconnect(_ machine: inout HubStateMachine, connection: ConnectionID, at time: HubTime) -> [HubStateMachine.Action] {
        var actions = machine.connectionOpened(connection, at: time)
        actions += machine.packetReceived(.connect(HubFixtures.connect(expiry: time.unixSeconds + 3600, cleanSession: false)), on: connection, at: time)
        return actions
    }

    func isTelemetry(_ event: HubEvent) -> Bool {
        if case .telemetry = event { true } else { false }
    }

    // MARK: Parsing

    @Test("the properties parse into a request; missing delay and duration are 0", arguments: [
        ("KillTcp", "1", "3", FaultInjectionRequest.FaultType.killTcp, Duration.seconds(1), Duration.seconds(3)),
        ("ShutDownMqtt", nil, nil, .shutDownMqtt, .zero, .zero),
        ("InvokeThrottling", "0.5", "10", .invokeThrottling, .milliseconds(500), .seconds(10)),
        ("InvokeMaxMessageQuota", "0", "007", .invokeMaxMessageQuota, .zero, .seconds(7)),
        ("InvokeAuthError", "86400", "0.000000001", .invokeAuthError, .seconds(86400), .nanoseconds(1)),
    ] as [(String, String?, String?, FaultInjectionRequest.FaultType, Duration, Duration)])
    func parses(_ type: String, _ delay: String?, _ duration: String?, _ expected: FaultInjectionRequest.FaultType, _ expectedDelay: Duration, _ expectedDuration: Duration) {
        #expect(
            FaultInjectionRequest.parse(bag(type, delay: delay, duration: duration))
                == .request(FaultInjectionRequest(type: expected, closeReason: "boom", delay: expectedDelay, duration: expectedDuration))
        )
    }

    @Test("bad delays and durations are refused with the property, the value and why", arguments: [
        ("-1", "is not a number of seconds"), ("1e3", "is not a number of seconds"), ("", "has no value"), (" 5", "is not a number of seconds"),
        ("５", "is not a number of seconds"), ("1.", "is not a number of seconds"), (".5", "is not a number of seconds"), ("1.2.3", "is not a number of seconds"),
        ("86400.5", "more than 86400 s"), ("86401", "more than 86400 s"), ("99999999999999999999999999", "more than 86400 s"), ("NaN", "is not a number of seconds"),
    ])
    func badNumbers(_ value: String, _ why: String) {
        for (delay, duration, name) in [(value, "1", "AzIoTHub_FaultOperationDelayInSecs"), ("1", value, "AzIoTHub_FaultOperationDurationInSecs")] {
            guard case .refused(let type, let reason) = FaultInjectionRequest.parse(bag("KillTcp", delay: delay, duration: duration)) else {
                Issue.record("'\(value)' as \(name) was taken")
                continue
            }
            #expect(type == "KillTcp")
            #expect(reason.contains(name) && reason.contains(why), "\(reason)")
        }
    }

    @Test("AMQP and unknown types are refused; a message without a type is ordinary telemetry")
    func types() {
        #expect(FaultInjectionRequest.parse(bag("KillAmqpCBSLinkReq")) == .refused(type: "KillAmqpCBSLinkReq", reason: "KillAmqpCBSLinkReq acts on AMQP links; the device is connected over MQTT"))
        guard case .refused(_, let reason) = FaultInjectionRequest.parse(bag("killtcp")) else {
            Issue.record("a wrongly cased type was taken")
            return
        }
        #expect(reason.hasPrefix("unknown fault type"))
        #expect(FaultInjectionRequest.parse(bag(nil, delay: "1")) == .notARequest)
        #expect(FaultInjectionRequest.parse(["temperature": "21"]) == .notARequest)
    }

    // MARK: On the hub

    @Test("KillTcp: no PUBACK and no telemetry; after the delay the connection is reset; CONNECTs are killed for the duration; then back to normal")
    func killTcp() throws {
        var machine = connected()
        let request = FaultInjectionRequest(type: .killTcp, closeReason: "boom", delay: .seconds(2), duration: .seconds(3))
        let kill = HubFaultActivation(fault: .restart, device: device, injection: request)
        let asked = send(bag("KillTcp", delay: "2", duration: "3"), to: &machine)
        #expect(asked.sentPackets.isEmpty)
        #expect(!asked.events.contains(where: isTelemetry))
        #expect(asked.events == [.fault(.requested(device, request, startsAt: now + .seconds(2)))])
        #expect(asked.contains(.wakeUp(at: now + .seconds(2))))

        #expect(machine.tick(at: now + (.seconds(2) - .nanoseconds(1))).resets.isEmpty)
        let start = machine.tick(at: now + .seconds(2))
        #expect(start.resets == [1])
        #expect(start.events.first == .fault(.started(kill, until: now + .seconds(5))))
        #expect(start.disconnectReasons == [.fault(kill, .dropped)])
        #expect(start.disconnectReasons.first?.description == "fault injection KillTcp from esp8266 (close reason 'boom'): the hub killed the TCP connection")

        let during = reconnect(&machine, connection: 2, at: now + .seconds(4))
        #expect(during.sentPackets.isEmpty)
        #expect(during.resets == [2])
        #expect(during.disconnectReasons == [.fault(kill, .closedWhileDown)])

        let after = reconnect(&machine, connection: 3, at: now + .seconds(5))
        #expect(after.events.first == .fault(.ended(kill)))
        #expect(after.sentPackets.first == .connack(ConnAckPacket(sessionPresent: true, returnCode: .accepted)))

        // The client retransmits the unacknowledged fault message with DUP: acknowledged, not repeated.
        let again = send(bag("KillTcp", delay: "2", duration: "3"), on: 3, dup: true, to: &machine, at: now + .seconds(5))
        #expect(again.sentPackets == [.puback(packetID: 9)])
        #expect(again.events == [.fault(.requestRepeated(device, type: "KillTcp"))])
        #expect(machine.nextDeadline().map { $0 > now + .seconds(6) } == true)
    }

    @Test("ShutDownMqtt with no delay closes the connection at once (a clean close, not a reset)")
    func shutDownMqtt() {
        var machine = connected()
        let asked = send(bag("ShutDownMqtt", reason: "byebye"), to: &machine)
        #expect(asked.sentPackets.isEmpty)
        #expect(asked.closes == [1])
        #expect(asked.resets.isEmpty)
        #expect(asked.disconnectReasons.first?.description.hasSuffix("the hub shut the MQTT connection down") == true)
        // Duration 0: the device may come straight back.
        #expect(reconnect(&machine, connection: 2, at: now).sentPackets.first == .connack(ConnAckPacket(sessionPresent: true, returnCode: .accepted)))
    }

    @Test("InvokeThrottling, InvokeAuthError, InvokeMaxMessageQuota are acknowledged, keep the connection, and make operations fail for the window", arguments: [
        ("InvokeThrottling", true, true), ("InvokeAuthError", true, false), ("InvokeMaxMessageQuota", false, true),
    ])
    func operationFaults(_ type: String, _ refusesConnect: Bool, _ cutsTelemetry: Bool) {
        var machine = connected()
        let asked = send(bag(type, delay: "1", duration: "10"), to: &machine)
        #expect(asked.sentPackets == [.puback(packetID: 9)])
        #expect(!asked.events.contains(where: isTelemetry))
        #expect(machine.isConnected(device))

        // Before the delay, telemetry goes through.
        let early = send(["n": "1"], to: &machine, at: now + .milliseconds(999))
        #expect(early.sentPackets == [.puback(packetID: 9)])
        #expect(early.events.contains(where: isTelemetry))

        let inWindow = send(["n": "2"], to: &machine, at: now + .seconds(1))
        #expect(inWindow.closes == (cutsTelemetry ? [1] : []))
        #expect(inWindow.sentPackets == (cutsTelemetry ? [] : [.puback(packetID: 9)]))

        let connect = reconnect(&machine, connection: 2, at: now + .seconds(2))
        let connack = connect.sentPackets.first
        #expect(connack == .connack(ConnAckPacket(sessionPresent: !refusesConnect, returnCode: refusesConnect ? .notAuthorized : .accepted)))

        let healed = reconnect(&machine, connection: 3, at: now + .seconds(11))
        #expect(healed.sentPackets.first == .connack(ConnAckPacket(sessionPresent: true, returnCode: .accepted)))
        #expect(send(["n": "3"], on: 3, to: &machine, at: now + .seconds(11)).sentPackets == [.puback(packetID: 9)])
    }

    @Test("an AMQP fault type, an unknown one and a bad delay are acknowledged, reported, not forwarded, and change nothing")
    func refusals() {
        var machine = connected()
        for (bag, type) in [(bag("KillAmqpConnection"), "KillAmqpConnection"), (bag("Explode"), "Explode"), (bag("KillTcp", delay: "soon"), "KillTcp")] {
            let asked = send(bag, to: &machine)
            #expect(asked.sentPackets == [.puback(packetID: 9)])
            guard case .fault(.requestRefused(device, type, let reason)) = asked.events.first, asked.events.count == 1 else {
                Issue.record("\(type): \(asked.events)")
                continue
            }
            #expect(!reason.isEmpty)
        }
        #expect(machine.isConnected(device))
        #expect(machine.activeFaults(at: now).isEmpty)
        #expect(machine.nextDeadline() == now + .seconds(1767))
    }

    @Test("a clock jump past a whole KillTcp window still drops the connection and reports start and end")
    func clockJump() {
        var machine = connected()
        _ = send(bag("KillTcp", delay: "5", duration: "5"), to: &machine)
        let jump = machine.tick(at: now + .seconds(60))
        #expect(jump.resets == [1])
        let faultEvents = jump.events.filter { if case .fault = $0 { true } else { false } }
        #expect(faultEvents.count == 2)
        #expect(machine.activeFaults(at: now + .seconds(60)).isEmpty)
    }

    @Test("endFault ends an injected fault early; nothing to end returns false")
    func endInjected() {
        var machine = connected()
        _ = send(bag("InvokeAuthError", duration: "600"), to: &machine)
        #expect(machine.activeFaults(at: now).map(\.fault) == [.authError])
        #expect(machine.endFault(.authError, device: device, at: now + .seconds(1)).ended)
        #expect(machine.endFault(.authError, device: device, at: now + .seconds(1)).ended == false)
        #expect(reconnect(&machine, connection: 2, at: now + .seconds(1)).sentPackets.first == .connack(ConnAckPacket(sessionPresent: true, returnCode: .accepted)))
    }
}
