import HarnessTestSupport
import IoTHubCore
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import Testing

/// The hub's rules, event by event, without sockets.
@Suite struct HubStateMachineTests {
    let now = HubFixtures.start

    func connected(_ machine: inout HubStateMachine, connection: ConnectionID = 1, cleanSession: Bool = false) -> [HubStateMachine.Action] {
        _ = machine.connectionOpened(connection, at: now)
        return machine.packetReceived(.connect(HubFixtures.connect(cleanSession: cleanSession)), on: connection, at: now)
    }

    @Test("a device with a valid token gets CONNACK 0")
    func accepts() {
        var machine = HubFixtures.machine()
        let actions = connected(&machine)
        #expect(actions.sentPackets == [.connack(ConnAckPacket(sessionPresent: false, returnCode: .accepted))])
        #expect(actions.closes.isEmpty)
        #expect(machine.isConnected(HubFixtures.deviceID))
    }

    @Test(
        "refused CONNECTs get CONNACK 5 (or 1 for the protocol level) and are closed",
        arguments: [
            (HubFixtures.connect(key: DeviceKey(bytes: Array(repeating: 1, count: 32))), ConnectReturnCode.notAuthorized, "signature"),
            (HubFixtures.connect(expiry: HubFixtures.start.unixSeconds - 301), .notAuthorized, "expired"),
            (HubFixtures.connect(clientID: "other"), .notAuthorized, "differs"),
            (HubFixtures.connect(clientID: "other", username: "test.azure-devices.net/other/?api-version=1"), .notAuthorized, "not registered"),
            (HubFixtures.connect(username: "elsewhere.azure-devices.net/esp8266/?api-version=1"), .notAuthorized, "not this hub"),
            (HubFixtures.connect(level: 3), .unacceptableProtocolVersion, "level 3"),
        ]
    )
    func refuses(connect: ConnectPacket, code: ConnectReturnCode, reason: String) {
        var machine = HubFixtures.machine()
        _ = machine.connectionOpened(1, at: now)
        let actions = machine.packetReceived(.connect(connect), on: 1, at: now)
        #expect(actions.sentPackets == [.connack(ConnAckPacket(sessionPresent: false, returnCode: code))])
        #expect(actions.closes == [1])
        let refusal = actions.events.first { if case .connectionRefused = $0 { true } else { false } }
        guard case .connectionRefused(_, _, let refusedCode, let text) = refusal else {
            Issue.record("no refusal event")
            return
        }
        #expect(refusedCode == code)
        #expect(text.contains(reason), "\(text)")
        #expect(machine.isConnected(HubFixtures.deviceID) == false)
    }

    @Test("a token within the 5-minute skew is still accepted at CONNECT")
    func skew() {
        var machine = HubFixtures.machine()
        _ = machine.connectionOpened(1, at: now)
        let actions = machine.packetReceived(.connect(HubFixtures.connect(expiry: now.unixSeconds - 299)), on: 1, at: now)
        #expect(actions.sentPackets == [.connack(ConnAckPacket(returnCode: .accepted))])
    }

    @Test("the first packet must be CONNECT")
    func firstPacket() {
        var machine = HubFixtures.machine()
        _ = machine.connectionOpened(1, at: now)
        let actions = machine.packetReceived(.pingreq, on: 1, at: now)
        #expect(actions.closes == [1])
        #expect(actions.sentPackets.isEmpty)
    }

    @Test("devicebound subscription is granted, and C2D is delivered at the granted QoS")
    func cloudToDevice() throws {
        var machine = HubFixtures.machine()
        _ = connected(&machine)
        let subscribe = machine.packetReceived(
            .subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: HubFixtures.deviceboundFilter, qos: .atMostOnce)])),
            on: 1,
            at: now
        )
        #expect(subscribe.sentPackets == [.suback(SubAckPacket(packetID: 1, returnCodes: [.granted(.atMostOnce)]))])
        let send = try machine.enqueue(CloudToDeviceMessage(payload: ByteBuffer(string: "on")), for: HubFixtures.deviceID, messageID: "m1", at: now)
        let expectedTopic = topicName("devices/esp8266/messages/devicebound/%24.mid=m1&%24.to=%2Fdevices%2Fesp8266%2Fmessages%2Fdevicebound")
        #expect(send.sentPackets == [.publish(PublishPacket(topic: expectedTopic, payload: ByteBuffer(string: "on")))])
        #expect(send.events.contains(.cloudToDeviceCompleted(HubFixtures.deviceID, messageID: "m1")))
        #expect(machine.queueDepth(of: HubFixtures.deviceID) == 0)
    }

    @Test("QoS 2 subscription is granted QoS 1; QoS 1 C2D stays locked until PUBACK")
    func qos1Delivery() throws {
        var machine = HubFixtures.machine()
        _ = connected(&machine)
        let subscribe = machine.packetReceived(
            .subscribe(SubscribePacket(packetID: 3, subscriptions: [.init(filter: topicFilter("#"), qos: .exactlyOnce)])),
            on: 1,
            at: now
        )
        #expect(subscribe.sentPackets == [.suback(SubAckPacket(packetID: 3, returnCodes: [.granted(.atLeastOnce)]))])
        let send = try machine.enqueue(CloudToDeviceMessage(payload: ByteBuffer(string: "on")), for: HubFixtures.deviceID, messageID: "m1", at: now)
        guard case .publish(let publish) = send.sentPackets.first else {
            Issue.record("no PUBLISH")
            return
        }
        #expect(publish.qos == .atLeastOnce)
        #expect(publish.dup == false)
        #expect(machine.queueDepth(of: HubFixtures.deviceID) == 1)
        let ack = machine.packetReceived(.puback(packetID: try #require(publish.packetID)), on: 1, at: now)
        #expect(ack.events == [.cloudToDeviceCompleted(HubFixtures.deviceID, messageID: "m1")])
        #expect(machine.queueDepth(of: HubFixtures.deviceID) == 0)
    }

    @Test("messages sent while offline wait in the queue and arrive right after CONNACK with clean session 0")
    func offlineQueue() throws {
        var machine = HubFixtures.machine()
        _ = connected(&machine)
        _ = machine.packetReceived(
            .subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: HubFixtures.deviceboundFilter, qos: .atLeastOnce)])),
            on: 1,
            at: now
        )
        _ = machine.connectionClosed(1, at: now)
        _ = try machine.enqueue(CloudToDeviceMessage(payload: ByteBuffer(string: "on")), for: HubFixtures.deviceID, messageID: "m1", at: now)
        _ = machine.connectionOpened(2, at: now)
        let reconnect = machine.packetReceived(.connect(HubFixtures.connect(cleanSession: false)), on: 2, at: now)
        #expect(reconnect.sentPackets.first == .connack(ConnAckPacket(sessionPresent: true, returnCode: .accepted)))
        guard reconnect.sentPackets.count == 2, case .publish(let publish) = reconnect.sentPackets[1] else {
            Issue.record("queued message not delivered after CONNACK: \(reconnect.sentPackets)")
            return
        }
        #expect(publish.payload == ByteBuffer(string: "on"))
    }

    @Test("the queue holds at most 50 messages")
    func queueLimit() throws {
        var machine = HubFixtures.machine()
        for index in 0..<50 {
            _ = try machine.enqueue(CloudToDeviceMessage(payload: ByteBuffer(string: "\(index)")), for: HubFixtures.deviceID, messageID: "m\(index)", at: now)
        }
        #expect(throws: CloudToDeviceError.queueFull(HubFixtures.deviceID, limit: 50)) {
            try machine.enqueue(CloudToDeviceMessage(payload: ByteBuffer(string: "51")), for: HubFixtures.deviceID, messageID: "m51", at: now)
        }
        #expect(throws: CloudToDeviceError.messageTooLarge(size: 65_537, limit: 65_536)) {
            var other = HubFixtures.machine()
            _ = try other.enqueue(CloudToDeviceMessage(payload: ByteBuffer(repeating: 0, count: 65_537)), for: HubFixtures.deviceID, messageID: "big", at: now)
        }
    }

    @Test("a connected device is dropped without a packet once its token is past the 600 s grace")
    func tokenExpiry() {
        var machine = HubFixtures.machine()
        _ = connected(&machine)
        // Pings keep the connection inside the 1767 s keep-alive cap.
        _ = machine.packetReceived(.pingreq, on: 1, at: now + .seconds(1700))
        _ = machine.packetReceived(.pingreq, on: 1, at: now + .seconds(3400))
        #expect(machine.tick(at: now + .seconds(4200)).closes.isEmpty)
        let actions = machine.tick(at: now + .seconds(4201))
        #expect(actions.closes == [1])
        #expect(actions.sentPackets.isEmpty)
        #expect(actions.disconnectReasons == [.tokenExpired])
    }

    @Test("keep-alive 4000 is capped at 1767 s of silence; any packet resets it")
    func keepAliveCap() {
        var machine = HubFixtures.machine()
        _ = connected(&machine)
        _ = machine.packetReceived(.pingreq, on: 1, at: now + .seconds(1000))
        #expect(machine.tick(at: now + .seconds(2766)).closes.isEmpty)
        let actions = machine.tick(at: now + .seconds(2767))
        #expect(actions.disconnectReasons == [.keepAliveTimeout(.seconds(1767))])
    }

    @Test("a second connection for the same device drops the first")
    func takeover() {
        var machine = HubFixtures.machine()
        _ = connected(&machine, connection: 1)
        _ = machine.connectionOpened(2, at: now)
        let actions = machine.packetReceived(.connect(HubFixtures.connect()), on: 2, at: now)
        #expect(actions.closes == [1])
        #expect(actions.disconnectReasons == [.replacedByNewConnection])
        #expect(actions.sentPackets.first == .connack(ConnAckPacket(sessionPresent: true, returnCode: .accepted)))
    }

    @Test("QoS 2 PUBLISH and disallowed topics close the connection")
    func violations() {
        for packet: MQTTPacket in [
            .publish(PublishPacket(topic: topicName("devices/esp8266/messages/events/"), payload: ByteBuffer(), qos: .exactlyOnce, packetID: 1)),
            .publish(PublishPacket(topic: topicName("some/topic"), payload: ByteBuffer())),
            .subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: topicFilter("devices/other/messages/devicebound/#"), qos: .atMostOnce)])),
        ] {
            var machine = HubFixtures.machine()
            _ = connected(&machine)
            let actions = machine.packetReceived(packet, on: 1, at: now)
            #expect(actions.closes == [1], "\(packet)")
            #expect(actions.sentPackets.isEmpty)
        }
    }

    @Test("telemetry is acknowledged at QoS 1 and reported with its properties")
    func telemetry() {
        var machine = HubFixtures.machine()
        _ = connected(&machine)
        let actions = machine.packetReceived(
            .publish(PublishPacket(topic: topicName("devices/esp8266/messages/events/a=1"), payload: ByteBuffer(string: "t"), qos: .atLeastOnce, packetID: 9, retain: true)),
            on: 1,
            at: now
        )
        #expect(actions.sentPackets == [.puback(packetID: 9)])
        #expect(actions.events == [.telemetry(HubFixtures.deviceID, properties: ["a": "1", "mqtt-retain": "true"], payload: ByteBuffer(string: "t"))])
    }

    @Test("an unacknowledged QoS 1 message is redelivered with DUP after a reconnect")
    func redelivery() throws {
        var machine = HubFixtures.machine()
        _ = connected(&machine)
        _ = machine.packetReceived(
            .subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: HubFixtures.deviceboundFilter, qos: .atLeastOnce)])),
            on: 1,
            at: now
        )
        let first = try machine.enqueue(CloudToDeviceMessage(payload: ByteBuffer(string: "on")), for: HubFixtures.deviceID, messageID: "m1", at: now)
        guard case .publish(let original) = first.sentPackets.first else {
            Issue.record("no PUBLISH")
            return
        }
        #expect(original.dup == false)
        _ = machine.connectionClosed(1, at: now)
        _ = machine.connectionOpened(2, at: now)
        let again = machine.packetReceived(.connect(HubFixtures.connect()), on: 2, at: now)
        guard again.sentPackets.count == 2, case .publish(let redelivered) = again.sentPackets[1] else {
            Issue.record("no redelivery: \(again.sentPackets)")
            return
        }
        #expect(redelivered.dup)
        #expect(redelivered.payload == original.payload)
        #expect(again.events.contains(.cloudToDeviceDelivered(HubFixtures.deviceID, messageID: "m1", qos: .atLeastOnce, duplicate: true)))
    }

    @Test("a sixth subscription closes the connection")
    func subscriptionLimit() {
        var machine = HubFixtures.machine()
        _ = connected(&machine)
        let filters = ["#", "$iothub/twin/res/#", "$iothub/twin/PATCH/properties/desired/#", "$iothub/methods/POST/#", "devices/esp8266/messages/devicebound/#"]
        for (index, filter) in filters.enumerated() {
            let actions = machine.packetReceived(
                .subscribe(SubscribePacket(packetID: UInt16(index + 1), subscriptions: [.init(filter: topicFilter(filter), qos: .atMostOnce)])),
                on: 1,
                at: now
            )
            #expect(actions.closes.isEmpty, "\(filter)")
        }
        // Re-subscribing an existing filter does not count again.
        #expect(
            machine.packetReceived(.subscribe(SubscribePacket(packetID: 9, subscriptions: [.init(filter: topicFilter("#"), qos: .atLeastOnce)])), on: 1, at: now)
                .closes.isEmpty
        )
        var sixth = HubFixtures.machine(configuration: HubConfiguration(hostName: HubFixtures.hostName, maximumSubscriptions: 1))
        _ = connected(&sixth)
        _ = sixth.packetReceived(.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: topicFilter("#"), qos: .atMostOnce)])), on: 1, at: now)
        let over = sixth.packetReceived(
            .subscribe(SubscribePacket(packetID: 2, subscriptions: [.init(filter: topicFilter("$iothub/methods/POST/#"), qos: .atMostOnce)])),
            on: 1,
            at: now
        )
        #expect(over.closes == [1])
        #expect(over.sentPackets.isEmpty)
    }

    @Test("a will on the telemetry topic is published on an abrupt close, not after DISCONNECT")
    func will() {
        let will = ConnectPacket.Will(topic: topicName("devices/esp8266/messages/events/state=gone"), payload: ByteBuffer(string: "bye"))
        for (packet, published) in [(MQTTPacket?.none, true), (.some(.disconnect), false)] {
            var machine = HubFixtures.machine()
            _ = machine.connectionOpened(1, at: now)
            _ = machine.packetReceived(.connect(HubFixtures.connect(will: will)), on: 1, at: now)
            var actions: [HubStateMachine.Action] = []
            if let packet { actions += machine.packetReceived(packet, on: 1, at: now) }
            actions += machine.connectionClosed(1, at: now)
            let telemetry = actions.events.filter { if case .telemetry = $0 { true } else { false } }
            #expect(
                telemetry == (published ? [.telemetry(HubFixtures.deviceID, properties: ["state": "gone", "iothub-MessageType": "Will"], payload: ByteBuffer(string: "bye"))] : [])
            )
        }
        var machine = HubFixtures.machine()
        _ = machine.connectionOpened(1, at: now)
        let refused = machine.packetReceived(
            .connect(HubFixtures.connect(will: .init(topic: topicName("elsewhere"), payload: ByteBuffer()))),
            on: 1,
            at: now
        )
        #expect(refused.sentPackets == [.connack(ConnAckPacket(returnCode: .notAuthorized))])
    }
}
