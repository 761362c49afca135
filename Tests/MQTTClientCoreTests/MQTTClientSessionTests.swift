import HarnessTestSupport
import MQTTClientCore
import MQTTCore
import NIOCore
import Testing

/// The client engine itself, without sockets: packet identifiers, QoS exchanges both ways,
/// session-present handling and operation completion.
@Suite struct MQTTClientSessionTests {
    let concurrent = MQTTClientConfiguration(allowsConcurrentOperations: true)

    @Test("3.1.1 CONNECT: protocol MQTT level 4, the options' fields, the will as a will")
    func connectPacket() {
        var session = MQTTClientSession()
        let will = message("gone", qos: .atLeastOnce)
        let options = ConnectOptions(clientID: "c", cleanSession: false, keepAlive: 30, will: will, username: "u", password: ByteBuffer(string: "p"))
        #expect(session.start(.connect(options), id: 1, now: 0) == [.openTransport])
        let packet = session.transportConnected(now: 0).sentConnect
        #expect(packet == ConnectPacket(clientID: "c", cleanSession: false, keepAlive: 30, will: .init(topic: will.topic, payload: will.payload, qos: .atLeastOnce), username: "u", password: ByteBuffer(string: "p")))
        #expect(packet?.protocolName == "MQTT" && packet?.protocolLevel == 4)
    }

    @Test("packet identifiers count on across operations and skip one still in flight after wrapping")
    func packetIDsSkipInFlight() {
        var session = connectedSession(concurrent)
        // Identifier 1 stays in flight: a QoS 2 PUBLISH never answered.
        #expect(session.publishedID(message("stuck", qos: .exactlyOnce), id: 2) == 1)
        var operation: UInt64 = 3
        for expected in UInt16(2)...UInt16.max {
            let id = session.publishedID(message("m", qos: .atLeastOnce), id: .init(operation))
            #expect(id == expected)
            _ = session.packetReceived(.puback(packetID: expected), now: 0)
            operation += 1
        }
        #expect(session.lastPacketID == .max)
        #expect(session.publishedID(message("after the wrap", qos: .atLeastOnce), id: .init(operation)) == 2)
    }

    @Test("a SUBSCRIBE, UNSUBSCRIBE and PUBLISH share one counter")
    func oneCounter() {
        var session = connectedSession(concurrent)
        let subscribe = session.start(.subscribe([.init(filter: topicFilter("a/#"), qos: .atLeastOnce)]), id: 2, now: 0)
        let unsubscribe = session.start(.unsubscribe([topicFilter("a/#")]), id: 3, now: 0)
        #expect(subscribe.sentPackets.first?.packetID == 1)
        #expect(unsubscribe.sentPackets.first?.packetID == 2)
        #expect(session.publishedID(message("x", qos: .atLeastOnce), id: 4) == 3)
        #expect(session.packetReceived(.unsuback(packetID: 2), now: 0) == [.complete(3, .answered(.unsuback(packetID: 2)))])
    }

    @Test("QoS 2 out: PUBLISH, PUBREC -> PUBREL (again for a repeated PUBREC), done on PUBCOMP")
    func qos2Outgoing() {
        var session = connectedSession()
        let id = session.publishedID(message("x", qos: .exactlyOnce), id: 2)
        #expect(id == 1)
        #expect(session.packetReceived(.pubrec(packetID: 1), now: 0) == [.send(.pubrel(packetID: 1))])
        #expect(session.packetReceived(.pubrec(packetID: 1), now: 0) == [.send(.pubrel(packetID: 1))])
        #expect(session.packetReceived(.pubcomp(packetID: 1), now: 0) == [.complete(2, .answered(.pubcomp(packetID: 1)))])
        // A late PUBCOMP finds nothing.
        #expect(session.packetReceived(.pubcomp(packetID: 1), now: 0) == [])
    }

    @Test("QoS 2 in: PUBREC, then PUBCOMP for PUBREL; after it the identifier names a new message")
    func qos2Incoming() {
        var session = connectedSession()
        let first = PublishPacket(topic: topicName("t"), payload: ByteBuffer(string: "1"), qos: .exactlyOnce, packetID: 3)
        let second = PublishPacket(topic: topicName("t"), payload: ByteBuffer(string: "2"), qos: .exactlyOnce, packetID: 3)
        #expect(session.packetReceived(.publish(first), now: 0) == [.deliver(first), .send(.pubrec(packetID: 3))])
        #expect(session.packetReceived(.pubrel(packetID: 3), now: 0).sentPackets == [.pubcomp(packetID: 3)])
        #expect(session.packetReceived(.publish(second), now: 0).contains(.deliver(second)))
    }

    @Test("session present: a QoS 2 message waiting for PUBREL stays known when the broker kept the session, and is forgotten when it did not", arguments: [true, false])
    func sessionPresent(kept: Bool) {
        var session = connectedSession()
        let incoming = PublishPacket(topic: topicName("t"), payload: ByteBuffer(string: "y"), qos: .exactlyOnce, packetID: 4)
        _ = session.packetReceived(.publish(incoming), now: 0)
        _ = session.transportClosed(now: 0)
        _ = session.start(.connect(ConnectOptions(clientID: "c", cleanSession: false)), id: 2, now: 0)
        _ = session.transportConnected(now: 0)
        _ = session.packetReceived(.connack(ConnAckPacket(sessionPresent: kept, returnCode: .accepted)), now: 0)
        var again = incoming
        again.dup = true
        let delivered = session.packetReceived(.publish(again), now: 0).contains(.deliver(again))
        #expect(delivered == !kept)
    }

    @Test("acknowledgements: all, releases only, or none", arguments: [AcknowledgementPolicy.all, .releasesOnly, .none])
    func acknowledgements(policy: AcknowledgementPolicy) {
        var session = connectedSession(MQTTClientConfiguration(acknowledgements: policy))
        let one = session.packetReceived(.publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(), qos: .atLeastOnce, packetID: 1)), now: 0)
        let two = session.packetReceived(.publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(), qos: .exactlyOnce, packetID: 2)), now: 0)
        let release = session.packetReceived(.pubrel(packetID: 2), now: 0)
        #expect(one.sentPackets == (policy == .all ? [.puback(packetID: 1)] : []))
        #expect(two.sentPackets == (policy == .all ? [.pubrec(packetID: 2)] : []))
        #expect(release.sentPackets == (policy == .none ? [] : [.pubcomp(packetID: 2)]))
    }

    @Test("a QoS 0 publish is done at once; without a connection every operation ends at once")
    func immediateOutcomes() {
        var session = connectedSession()
        let actions = session.start(.publish(message("x")), id: 2, now: 0)
        #expect(actions == [.send(.publish(PublishPacket(topic: topicName("a/b"), payload: ByteBuffer(string: "x")))), .complete(2, .done)])
        var idle = MQTTClientSession()
        #expect(idle.start(.publish(message("x")), id: 1, now: 0) == [.complete(1, .connectionEnded(reason: "the client is not connected"))])
        #expect(idle.start(.unsubscribe([topicFilter("a")]), id: 2, now: 0) == [.complete(2, .connectionEnded(reason: "the client is not connected"))])
    }

    @Test("one operation of a kind at a time, unless concurrent operations are allowed")
    func concurrency() {
        var blocking = connectedSession()
        _ = blocking.start(.publish(message("1", qos: .atLeastOnce)), id: 2, now: 0)
        #expect(blocking.start(.publish(message("2", qos: .atLeastOnce)), id: 3, now: 0) == [.complete(3, .connectionEnded(reason: "a publish is already in progress"))])
        // Another kind may run meanwhile.
        #expect(blocking.start(.subscribe([.init(filter: topicFilter("a"), qos: .atMostOnce)]), id: 4, now: 0).sentPackets.count == 1)
        var many = connectedSession(concurrent)
        _ = many.start(.publish(message("1", qos: .atLeastOnce)), id: 2, now: 0)
        #expect(many.start(.publish(message("2", qos: .atLeastOnce)), id: 3, now: 0).sentPackets.count == 1)
        #expect(many.packetReceived(.puback(packetID: 2), now: 0) == [.complete(3, .answered(.puback(packetID: 2)))])
        #expect(many.packetReceived(.puback(packetID: 1), now: 0) == [.complete(2, .answered(.puback(packetID: 1)))])
    }

    @Test("a drop ends every waiting operation in packet-identifier order; late answers find nothing")
    func dropEndsOperations() {
        var session = connectedSession(concurrent)
        _ = session.start(.publish(message("1", qos: .atLeastOnce)), id: 7, now: 0)
        _ = session.start(.subscribe([.init(filter: topicFilter("a"), qos: .atMostOnce)]), id: 5, now: 0)
        let ending = MQTTClientSession.Outcome.connectionEnded(reason: "the broker closed the connection")
        #expect(session.transportClosed(now: 0) == [.report(.disconnected(reason: "the broker closed the connection")), .complete(7, ending), .complete(5, ending)])
        #expect(session.packetReceived(.puback(packetID: 1), now: 0) == [])
    }

    @Test("a SUBACK answering no SUBSCRIBE of the session (a raw one) is reported only by a device program, which reads every SUBACK")
    func unsolicitedSubAck() {
        let suback = SubAckPacket(packetID: 9, returnCodes: [.granted(.atMostOnce)])
        var driven = connectedSession()
        #expect(driven.packetReceived(.suback(suback), now: 0) == [])
        var program = connectedSession(MQTTClientConfiguration(keepAlive: .off, program: ProgramPolicy(reconnect: .never, errorsStopProgram: true)))
        #expect(program.packetReceived(.suback(suback), now: 0) == [.report(.subAckReceived(suback))])
    }

    @Test("a wrong acknowledgement is reported, or tolerated (the operation keeps waiting)", arguments: [ProtocolViolationPolicy.tolerate, .report, .close])
    func wrongAcknowledgement(policy: ProtocolViolationPolicy) {
        var session = connectedSession(MQTTClientConfiguration(protocolViolations: policy))
        _ = session.publishedID(message("x", qos: .atLeastOnce), id: 2)
        let actions = session.packetReceived(.pubrec(packetID: 1), now: 0)
        #expect(actions.completesAnOperation == (policy == .report))
        #expect(actions.sentPackets.isEmpty)
        if policy != .report {
            #expect(session.packetReceived(.puback(packetID: 1), now: 0) == [.complete(2, .answered(.puback(packetID: 1)))])
        }
    }

    @Test("a packet only clients send, from the broker: an application client closes; the others leave it to the packet tap", arguments: [ProtocolViolationPolicy.tolerate, .report, .close])
    func clientOnlyPacket(policy: ProtocolViolationPolicy) {
        var session = connectedSession(MQTTClientConfiguration(protocolViolations: policy))
        let actions = session.packetReceived(.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: topicFilter("a"), qos: .atMostOnce)])), now: 0)
        #expect(actions == (policy == .close ? [.closeTransport] : []))
    }

    @Test("a malformed packet is reported and closes the connection only under the report policy", arguments: [ProtocolViolationPolicy.tolerate, .report, .close])
    func malformed(policy: ProtocolViolationPolicy) {
        var session = connectedSession(MQTTClientConfiguration(protocolViolations: policy))
        let actions = session.malformedPacketReceived("bad", now: 0)
        #expect(actions == (policy == .report ? [.report(.protocolViolation("the broker sent a malformed packet: bad")), .closeTransport] : []))
    }

    @Test("open: the transport without CONNECT; raw packets go out as given; CONNECT may follow on it")
    func openAndWrite() {
        var session = MQTTClientSession()
        #expect(session.start(.open, id: 1, now: 0) == [.openTransport])
        #expect(session.transportConnected(now: 0) == [.report(.transportConnected), .complete(1, .done)])
        #expect(session.start(.write(.packet(.pingreq)), id: 2, now: 0) == [.send(.pingreq), .complete(2, .done)])
        let actions = session.start(.connect(ConnectOptions(clientID: "late")), id: 3, now: 0)
        #expect(actions.sentConnect?.clientID == "late")
        let connack = ConnAckPacket(returnCode: .accepted)
        #expect(session.packetReceived(.connack(connack), now: 0) == [.report(.connAckReceived(connack)), .complete(3, .answered(.connack(connack)))])
    }

    @Test("a refused CONNECT leaves a harness-driven client's transport open for the broker to close")
    func refusedStaysOpen() {
        var session = MQTTClientSession()
        _ = session.start(.connect(ConnectOptions(clientID: "c")), id: 1, now: 0)
        _ = session.transportConnected(now: 0)
        let refused = ConnAckPacket(returnCode: .notAuthorized)
        #expect(session.packetReceived(.connack(refused), now: 0) == [.report(.connAckReceived(refused)), .complete(1, .answered(.connack(refused)))])
        #expect(session.isTransportOpen && !session.isConnected)
    }

    @Test("restart: a harness-driven client keeps counting packet identifiers; a device program starts again from 1")
    func restartCounting() {
        var driven = connectedSession()
        #expect(driven.publishedID(message("x", qos: .atLeastOnce), id: 2) == 1)
        _ = driven.restart(now: 0)
        driven = reconnected(driven)
        #expect(driven.publishedID(message("y", qos: .atLeastOnce), id: 4) == 2)
        var program = connectedSession(MQTTClientConfiguration(program: ProgramPolicy(reconnect: .never, errorsStopProgram: true)))
        #expect(program.publishedID(message("x", qos: .atLeastOnce), id: 2) == 1)
        #expect(program.restart(now: 0) == [.report(.restarted), .complete(2, .connectionEnded(reason: "the device restarted")), .closeTransport])
        program = reconnected(program)
        #expect(program.publishedID(message("y", qos: .atLeastOnce), id: 4) == 1)
    }

    func reconnected(_ session: MQTTClientSession) -> MQTTClientSession {
        var session = session
        _ = session.start(.connect(ConnectOptions(clientID: "c")), id: 3, now: 0)
        _ = session.transportConnected(now: 0)
        _ = session.packetReceived(.connack(ConnAckPacket(returnCode: .accepted)), now: 0)
        return session
    }

    @Test("a program that resubscribes sends one SUBSCRIBE with all its filters after reconnecting; its SUBACK completes nothing")
    func resubscribes() {
        let program = ProgramPolicy(reconnect: .cleanSessionZero(firstDelay: .zero, retryDelay: .seconds(1)), errorsStopProgram: false, resubscribesAfterReconnect: true)
        var session = connectedSession(MQTTClientConfiguration(keepAlive: .off, program: program))
        _ = session.start(.subscribe([.init(filter: topicFilter("a"), qos: .atLeastOnce)]), id: 2, now: 0)
        _ = session.packetReceived(.suback(SubAckPacket(packetID: 1, returnCodes: [.granted(.atLeastOnce)])), now: 0)
        _ = session.start(.subscribe([.init(filter: topicFilter("b"), qos: .atMostOnce)]), id: 3, now: 0)
        _ = session.packetReceived(.suback(SubAckPacket(packetID: 2, returnCodes: [.granted(.atMostOnce)])), now: 0)
        #expect(session.transportClosed(now: 0).last == .openTransport)
        #expect(session.transportConnected(now: 0).sentConnect?.cleanSession == false)
        let accepted = session.packetReceived(.connack(ConnAckPacket(sessionPresent: true, returnCode: .accepted)), now: 0)
        let again = SubscribePacket(packetID: 3, subscriptions: [.init(filter: topicFilter("a"), qos: .atLeastOnce), .init(filter: topicFilter("b"), qos: .atMostOnce)])
        #expect(accepted.sentPackets == [.subscribe(again)])
        let suback = SubAckPacket(packetID: 3, returnCodes: [.granted(.atLeastOnce), .granted(.atMostOnce)])
        #expect(session.packetReceived(.suback(suback), now: 0) == [.report(.subAckReceived(suback))])
    }

    @Test("a program's disconnect is done at once and ends what waited; it does not reconnect after it")
    func programDisconnect() {
        let program = ProgramPolicy(reconnect: .cleanSessionZero(firstDelay: .zero, retryDelay: .seconds(1)), errorsStopProgram: false)
        var session = connectedSession(MQTTClientConfiguration(keepAlive: .off, program: program))
        _ = session.start(.publish(message("x", qos: .atLeastOnce)), id: 2, now: 0)
        #expect(
            session.start(.disconnect, id: 3, now: 0) == [
                .send(.disconnect), .closeTransport, .complete(2, .connectionEnded(reason: "the device disconnected")), .complete(3, .done),
            ]
        )
        #expect(session.transportClosed(now: 0) == [.report(.disconnected(reason: "connection closed"))])
    }
}
