import Devices
import HarnessTestSupport
import MQTTCore
import NIOCore
import Testing

/// The umqtt-simple profile, event by event: what the seed firmware does on the wire.
@Suite struct ClientStateMachineTests {
    let connect = ConnectPacket(clientID: "esp8266", cleanSession: false, keepAlive: 4000, username: "u", password: ByteBuffer(string: "p"))

    func connected() -> ClientStateMachine {
        var machine = ClientStateMachine(profile: .umqttSimple)
        _ = machine.connect(connect, now: 0)
        _ = machine.transportConnected(now: 0)
        _ = machine.packetReceived(.connack(ConnAckPacket(returnCode: .accepted)), now: 0)
        return machine
    }

    @Test("connect opens the transport, sends CONNECT, completes on CONNACK 0")
    func connectFlow() {
        var machine = ClientStateMachine(profile: .umqttSimple)
        #expect(machine.connect(connect, now: 0) == [.openTransport])
        #expect(machine.transportConnected(now: 0) == [.report(.transportConnected), .send(.connect(connect))])
        let connack = ConnAckPacket(returnCode: .accepted)
        #expect(machine.packetReceived(.connack(connack), now: 0) == [.report(.connAckReceived(connack)), .completeConnect(.answered)])
        #expect(machine.isConnected)
    }

    @Test("a refused CONNACK raises MQTTException and the program stops")
    func refused() {
        var machine = ClientStateMachine(profile: .umqttSimple)
        _ = machine.connect(connect, now: 0)
        _ = machine.transportConnected(now: 0)
        let connack = ConnAckPacket(returnCode: .notAuthorized)
        let actions = machine.packetReceived(.connack(connack), now: 0)
        #expect(actions.contains(.report(.connAckReceived(connack))))
        #expect(actions.contains(.report(.crashed(reason: "MQTTException(5)"))))
        #expect(actions.contains(.completeConnect(.answered)))
        #expect(actions.last == .closeTransport)
        #expect(machine.stopReason == "MQTTException(5)")
        #expect(machine.connect(connect, now: 0) == [.completeConnect(.connectionEnded(reason: "the device's program has stopped: MQTTException(5)"))])
    }

    @Test("SUBSCRIBE uses packet id 1 and the requested QoS 0")
    func subscribe() {
        var machine = connected()
        let filter = topicFilter("devices/esp8266/messages/devicebound/#")
        #expect(machine.subscribe(to: filter, qos: .atMostOnce, now: 0) == [.send(.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: filter, qos: .atMostOnce)])))])
        let suback = SubAckPacket(packetID: 1, returnCodes: [.granted(.atMostOnce)])
        #expect(machine.packetReceived(.suback(suback), now: 0) == [.report(.subAckReceived(suback)), .completeSubscribe(.answered)])
        // The next packet id is 2, as umqtt increments one counter.
        guard case .send(.subscribe(let second)) = machine.subscribe(to: filter, qos: .atMostOnce, now: 0).first else {
            Issue.record("no second SUBSCRIBE")
            return
        }
        #expect(second.packetID == 2)
    }

    @Test("a QoS 1 message runs the callback before PUBACK; QoS 0 gets no PUBACK")
    func messageOrder() {
        var machine = connected()
        let topic = topicName("devices/esp8266/messages/devicebound/x")
        let qos1 = machine.packetReceived(.publish(PublishPacket(topic: topic, payload: ByteBuffer(string: "on"), qos: .atLeastOnce, packetID: 5)), now: 0)
        #expect(
            qos1 == [
                .report(.messageReceived(topic: topic, payload: ByteBuffer(string: "on"), qos: .atLeastOnce)),
                .deliver(topic: topic, payload: ByteBuffer(string: "on")),
                .send(.puback(packetID: 5)),
            ]
        )
        let qos0 = machine.packetReceived(.publish(PublishPacket(topic: topic, payload: ByteBuffer(string: "off"))), now: 0)
        #expect(qos0.contains { if case .send = $0 { true } else { false } } == false)
    }

    @Test("umqtt-simple never pings and never reconnects: a dropped connection stops the program")
    func noReconnect() {
        var machine = connected()
        #expect(DeviceProfile.umqttSimple.sendsPings == false)
        let actions = machine.transportClosed(now: 0)
        #expect(actions.contains(.report(.crashed(reason: "OSError: -1 (connection closed in wait_msg)"))))
        #expect(actions.contains(.openTransport) == false)
        #expect(machine.stopReason == "OSError: -1")
    }

    @Test("a QoS 2 PUBLISH trips umqtt's assert")
    func qos2() {
        var machine = connected()
        let actions = machine.packetReceived(.publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(), qos: .exactlyOnce, packetID: 1)), now: 0)
        #expect(actions.contains(.report(.crashed(reason: "AssertionError: QoS 2 PUBLISH"))))
    }

    @Test("subscribe before connect fails at once")
    func subscribeWhileDisconnected() {
        var machine = ClientStateMachine(profile: .umqttSimple)
        #expect(machine.subscribe(to: topicFilter("a"), qos: .atMostOnce, now: 0) == [.completeSubscribe(.connectionEnded(reason: "the device is not connected"))])
    }
}

@Suite struct LEDFirmwareTests {
    @Test("payload 'on' switches the LED on, any other payload off", arguments: [("on", true), ("off", false), ("ON", false), ("on ", false), ("", false), ("blink", false)])
    func callback(payload: String, isOn: Bool) {
        var firmware = LEDFirmware()
        _ = firmware.handleMessage(topic: topicName("t"), payload: ByteBuffer(string: "on"))
        let result = firmware.handleMessage(topic: topicName("t"), payload: ByteBuffer(string: payload))
        #expect(result.isOn == isOn)
        #expect(result.changed == !isOn)
        #expect(firmware.isOn == isOn)
    }
}
