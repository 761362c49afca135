import Devices
import HarnessTestSupport
import MQTTClientCore
import MQTTCore
import NIOCore
import Testing

/// The umqtt-simple profile on the client engine, event by event: what the seed firmware does
/// on the wire.
@Suite struct UmqttSimpleProfileTests {
    let connect = ConnectOptions(clientID: "esp8266", cleanSession: false, keepAlive: 4000, username: "u", password: ByteBuffer(string: "p"))

    func session() -> MQTTClientSession {
        MQTTClientSession(configuration: DeviceProfile.umqttSimple.configuration())
    }

    func connected() -> MQTTClientSession {
        var session = session()
        _ = session.start(.connect(connect), id: 1, now: 0)
        _ = session.transportConnected(now: 0)
        _ = session.packetReceived(.connack(ConnAckPacket(returnCode: .accepted)), now: 0)
        return session
    }

    @Test("connect opens the transport, sends CONNECT, completes on CONNACK 0")
    func connectFlow() {
        var session = session()
        #expect(session.start(.connect(connect), id: 1, now: 0) == [.openTransport])
        let packet = ConnectPacket(clientID: "esp8266", cleanSession: false, keepAlive: 4000, username: "u", password: ByteBuffer(string: "p"))
        #expect(session.transportConnected(now: 0) == [.report(.transportConnected), .send(.connect(packet))])
        let connack = ConnAckPacket(returnCode: .accepted)
        #expect(session.packetReceived(.connack(connack), now: 0) == [.report(.connAckReceived(connack)), .complete(1, .answered(.connack(connack)))])
        #expect(session.isConnected)
    }

    @Test("a refused CONNACK raises MQTTException and the program stops")
    func refused() {
        var session = session()
        _ = session.start(.connect(connect), id: 1, now: 0)
        _ = session.transportConnected(now: 0)
        let connack = ConnAckPacket(returnCode: .notAuthorized)
        let actions = session.packetReceived(.connack(connack), now: 0)
        #expect(actions.contains(.report(.connAckReceived(connack))))
        #expect(actions.contains(.report(.stopped(reason: "MQTTException(5)"))))
        #expect(actions.contains(.complete(1, .answered(.connack(connack)))))
        #expect(actions.last == .closeTransport)
        #expect(session.stopReason == "MQTTException(5)")
        #expect(session.start(.connect(connect), id: 2, now: 0) == [.complete(2, .connectionEnded(reason: "the device's program has stopped: MQTTException(5)"))])
    }

    @Test("SUBSCRIBE uses packet id 1 and the requested QoS 0")
    func subscribe() {
        var session = connected()
        let filter = topicFilter("devices/esp8266/messages/devicebound/#")
        #expect(session.start(.subscribe([.init(filter: filter, qos: .atMostOnce)]), id: 2, now: 0) == [.send(.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: filter, qos: .atMostOnce)])))])
        let suback = SubAckPacket(packetID: 1, returnCodes: [.granted(.atMostOnce)])
        #expect(session.packetReceived(.suback(suback), now: 0) == [.report(.subAckReceived(suback)), .complete(2, .answered(.suback(suback)))])
        // The next packet id is 2, as umqtt increments one counter.
        guard case .subscribe(let second)? = session.start(.subscribe([.init(filter: filter, qos: .atMostOnce)]), id: 3, now: 0).sentPackets.first else {
            Issue.record("no second SUBSCRIBE")
            return
        }
        #expect(second.packetID == 2)
    }

    @Test("a QoS 1 message runs the callback before PUBACK; QoS 0 gets no PUBACK")
    func messageOrder() {
        var session = connected()
        let topic = topicName("devices/esp8266/messages/devicebound/x")
        let message = PublishPacket(topic: topic, payload: ByteBuffer(string: "on"), qos: .atLeastOnce, packetID: 5)
        #expect(session.packetReceived(.publish(message), now: 0) == [.deliver(message), .send(.puback(packetID: 5))])
        let qos0 = session.packetReceived(.publish(PublishPacket(topic: topic, payload: ByteBuffer(string: "off"))), now: 0)
        #expect(qos0.sentPackets.isEmpty)
    }

    @Test("umqtt-simple never pings and never reconnects: a dropped connection stops the program")
    func noReconnect() {
        var session = connected()
        #expect(DeviceProfile.umqttSimple.configuration().keepAlive == .off)
        let actions = session.transportClosed(now: 0)
        #expect(actions.contains(.report(.stopped(reason: "OSError: -1 (connection closed in wait_msg)"))))
        #expect(actions.contains(.openTransport) == false)
        #expect(session.stopReason == "OSError: -1")
    }

    @Test("a QoS 2 PUBLISH trips umqtt's assert")
    func qos2() {
        var session = connected()
        let actions = session.packetReceived(.publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(), qos: .exactlyOnce, packetID: 1)), now: 0)
        #expect(actions.contains(.report(.stopped(reason: "AssertionError: QoS 2 PUBLISH"))))
    }

    @Test("subscribe before connect fails at once")
    func subscribeWhileDisconnected() {
        var session = session()
        #expect(session.start(.subscribe([.init(filter: topicFilter("a"), qos: .atMostOnce)]), id: 1, now: 0) == [.complete(1, .connectionEnded(reason: "the device is not connected"))])
    }

    @Test("umqtt.simple has no unsubscribe and cannot publish at QoS 2")
    func unsupported() {
        var session = connected()
        #expect(session.start(.unsubscribe([topicFilter("a")]), id: 2, now: 0) == [.complete(2, .unsupported(reason: "umqtt-simple has no unsubscribe()"))])
        let message = ApplicationMessage(topic: topicName("t"), payload: ByteBuffer(), qos: .exactlyOnce)
        #expect(session.start(.publish(message), id: 3, now: 0) == [.complete(3, .unsupported(reason: "umqtt-simple cannot publish at QoS 2"))])
    }
}
