import HarnessTestSupport
import MQTTClientCore
import MQTTCore
import NIOCore
import Testing

/// MQTT 5.0 CONNECT and CONNACK in the client engine: properties out, the broker's limits in.
@Suite struct MQTT5ConnectTests {
    @Test("5.0 CONNECT: level 5, Clean Start, the CONNECT properties and the will's properties")
    func connectPacket() {
        var session = MQTTClientSession(configuration: v5())
        let will = ApplicationMessage(topic: topicName("w"), payload: ByteBuffer(string: "gone"), qos: .atLeastOnce, properties: props([.willDelayInterval(5), .contentType("text/plain")]))
        let properties = props([.sessionExpiryInterval(300), .receiveMaximum(5), .userProperty(name: "k", value: "v")])
        _ = session.start(.connect(ConnectOptions(clientID: "c", cleanSession: false, keepAlive: 30, will: will, properties: properties)), id: 1, now: 0)
        let connect = session.transportConnected(now: 0).sentConnect
        #expect(connect?.protocolLevel == 5)
        #expect(connect?.cleanSession == false)
        #expect(connect?.properties == properties)
        #expect(connect?.will?.properties == will.properties)
    }

    @Test("a refused CONNACK answers the connect with its reason and leaves the client unconnected")
    func refusedConnAck() {
        var session = MQTTClientSession(configuration: v5())
        _ = session.start(.connect(ConnectOptions(clientID: "c")), id: 1, now: 0)
        _ = session.transportConnected(now: 0)
        let connack = ConnAckPacket(reasonCode: .notAuthorized, properties: props([.reasonString("no")]))
        let actions = session.packetReceived(.connack(connack), now: 0)
        #expect(actions.outcomes[1] == .answered(.connack(connack)))
        #expect(!session.isConnected)
        #expect(session.start(.publish(message("x")), id: 2, now: 0).outcomes[2] == .connectionEnded(reason: "the client is not connected"))
    }

    @Test("the CONNACK's limits are taken: receive maximum, packet size, aliases, QoS, retain, keep alive, assigned id, session expiry")
    func connAckLimits() {
        let session = connected5(connect: [.sessionExpiryInterval(60), .receiveMaximum(7), .topicAliasMaximum(3), .maximumPacketSize(2000)], connack: [
            .receiveMaximum(2), .maximumPacketSize(100), .topicAliasMaximum(4), .maximumQoS(1), .retainAvailable(0),
            .serverKeepAlive(9), .assignedClientIdentifier("auto-1"), .sessionExpiryInterval(30),
        ])
        var expected = ConnectionLimits()
        expected.serverReceiveMaximum = 2
        expected.serverMaximumPacketSize = 100
        expected.serverTopicAliasMaximum = 4
        expected.maximumQoS = .atLeastOnce
        expected.retainAvailable = false
        expected.serverKeepAlive = 9
        expected.assignedClientIdentifier = "auto-1"
        expected.sessionExpiryInterval = 30
        expected.clientReceiveMaximum = 7
        expected.clientTopicAliasMaximum = 3
        expected.clientMaximumPacketSize = 2000
        #expect(session.limits == expected)
        #expect(session.maximumIncomingPacketSize == 2000)
    }

    @Test("the broker's Server Keep Alive replaces the client's: PINGREQ after its period")
    func serverKeepAlive() {
        var session = connected5(connack: [.serverKeepAlive(5)], keepAlive: 60)
        #expect(session.nextDeadline == 5 * second)
        #expect(session.tick(now: 5 * second).sentPackets == [.pingreq])
    }

    @Test("a QoS or retain the CONNACK rules out is refused with the reason, and nothing is sent")
    func maximumQoSAndRetain() {
        var session = connected5(connack: [.maximumQoS(0), .retainAvailable(0)])
        let qos1 = session.start(.publish(message("x", qos: .atLeastOnce)), id: 2, now: 0)
        #expect(qos1.sentPackets.isEmpty)
        #expect(qos1.outcomes[2] == .unsupported(reason: "the broker's CONNACK allows at most QoS 0 (maximum_qos), and the publish asks for QoS 1"))
        var retained = message("x")
        retained.retain = true
        let retain = session.start(.publish(retained), id: 3, now: 0)
        #expect(retain.sentPackets.isEmpty)
        #expect(retain.outcomes[3] == .unsupported(reason: "the broker's CONNACK says it keeps no retained messages (retain_available 0), and the publish is retained"))
        #expect(session.start(.publish(message("fine")), id: 4, now: 0).sentPackets.count == 1)
    }

    @Test("a CONNECT with authentication data and no authentication method is refused before anything is sent")
    func authenticationDataWithoutMethod() {
        var session = MQTTClientSession(configuration: v5())
        let connect = session.start(.connect(ConnectOptions(clientID: "c", properties: props([.authenticationData(ByteBuffer(string: "abc"))]))), id: 1, now: 0)
        #expect(connect.count == 1)
        #expect(connect.outcomes[1] == .unsupported(reason: "the CONNECT cannot carry authentication_data without authentication_method: a Protocol Error (MQTT 5.0 section 3.1.2.11.10)"))
    }

    @Test("a CONNECT, SUBSCRIBE or DISCONNECT with a property its packet may not carry is refused before anything is sent")
    func propertyNotAllowed() {
        var fresh = MQTTClientSession(configuration: v5())
        let connect = fresh.start(.connect(ConnectOptions(clientID: "c", properties: props([.topicAlias(1)]))), id: 1, now: 0)
        #expect(connect.count == 1)
        #expect(connect.outcomes[1].map { if case .unsupported(let reason) = $0 { reason.hasPrefix("the CONNECT cannot be sent: ") } else { false } } == true)
        var session = connected5()
        let subscribe = session.start(.subscribe([.init(filter: topicFilter("a"), qos: .atMostOnce)], properties: props([.contentType("x")])), id: 2, now: 0)
        #expect(subscribe.sentPackets.isEmpty)
        #expect(subscribe.outcomes[2].map { if case .unsupported(let reason) = $0 { reason.hasPrefix("the SUBSCRIBE cannot be sent: ") } else { false } } == true)
        let disconnect = session.start(.disconnectWithReason(.normalDisconnection, properties: props([.topicAlias(1)])), id: 3, now: 0)
        #expect(disconnect.sentPackets.isEmpty)
        #expect(session.isConnected)
    }

    @Test("a SUBACK or UNSUBACK with a reason code count other than the filters' is a protocol error: DISCONNECT 0x82")
    func reasonCodeCount() {
        var session = connected5()
        let filters: [SubscribePacket.Subscription] = [.init(filter: topicFilter("a"), qos: .atMostOnce), .init(filter: topicFilter("b"), qos: .atMostOnce)]
        _ = session.start(.subscribe(filters), id: 2, now: 0)
        let short = session.packetReceived(.suback(SubAckPacket(packetID: 1, reasonCodes: [.success])), now: 0)
        #expect(short.sentDisconnect?.reasonCode == .protocolError)
        #expect(short.violations == ["the broker answered the SUBSCRIBE (packet id 1) of 2 topic filters with a SUBACK of 1 reason code [MQTT-3.9.3-1]"])
        var other = connected5()
        _ = other.start(.unsubscribe([topicFilter("a")]), id: 2, now: 0)
        #expect(other.packetReceived(.unsuback(UnsubAckPacket(packetID: 1, reasonCodes: [.success, .success])), now: 0).sentDisconnect?.reasonCode == .protocolError)
        var fine = connected5()
        _ = fine.start(.subscribe(filters), id: 2, now: 0)
        #expect(fine.packetReceived(.suback(SubAckPacket(packetID: 1, reasonCodes: [.success, .grantedQoS1])), now: 0).outcomes[2] != nil)
    }

    @Test("a 3.1.1 client refuses 5.0 content with a plain reason and sends nothing")
    func v311RefusesProperties() {
        var fresh = MQTTClientSession()
        let connect = fresh.start(.connect(ConnectOptions(clientID: "c", properties: props([.receiveMaximum(1)]))), id: 1, now: 0)
        #expect(connect == [.complete(1, .unsupported(reason: "the CONNECT carries MQTT 5.0 properties (receive_maximum=1), and the client speaks MQTT 3.1.1"))])
        var session = connectedSession()
        let subscribe = session.start(.subscribe([.init(filter: topicFilter("a"), qos: .atMostOnce, noLocal: true)]), id: 2, now: 0)
        #expect(subscribe.sentPackets.isEmpty)
        #expect(subscribe.outcomes[2] != nil)
        let reason = session.start(.disconnectWithReason(.disconnectWithWillMessage, properties: .none), id: 3, now: 0)
        #expect(reason == [.complete(3, .unsupported(reason: "a DISCONNECT reason code needs MQTT 5.0, and the client speaks MQTT 3.1.1"))])
    }

    @Test("SUBSCRIBE carries the options and properties; UNSUBSCRIBE its properties; the acks answer whatever their codes")
    func subscribeAndUnsubscribe() {
        var session = connected5()
        let subscription = SubscribePacket.Subscription(filter: topicFilter("$share/g/a/#"), qos: .atLeastOnce, noLocal: false, retainAsPublished: true, retainHandling: .doNotSend)
        let properties = props([.subscriptionIdentifier(7), .userProperty(name: "k", value: "v")])
        let sent = session.start(.subscribe([subscription], properties: properties), id: 2, now: 0).sentPackets
        #expect(sent == [.subscribe(SubscribePacket(packetID: 1, subscriptions: [subscription], properties: properties))])
        let suback = SubAckPacket(packetID: 1, reasonCodes: [.notAuthorized])
        #expect(session.packetReceived(.suback(suback), now: 0).outcomes[2] == .answered(.suback(suback)))
        let unsubscribe = session.start(.unsubscribe([topicFilter("a/#")], properties: props([.userProperty(name: "u", value: "1")])), id: 3, now: 0).sentPackets
        #expect(unsubscribe == [.unsubscribe(UnsubscribePacket(packetID: 2, filters: [topicFilter("a/#")], properties: props([.userProperty(name: "u", value: "1")])))])
    }
}
