import Devices
import HarnessTestSupport
import MQTTClientCore
import MQTTCore
import NIOCore
import Testing

/// The generic client's configuration of the client engine, without sockets: events in,
/// actions out, time passed in.
@Suite struct GenericClientSessionTests {
    let topic = topicName("a/b")

    /// A session that has connected (CONNECT sent, CONNACK 0 received) at time `at`; its
    /// connect was operation 1.
    func connected(settings: GenericClientSettings = GenericClientSettings(), keepAlive: UInt16 = 0, at time: Int64 = 0) -> MQTTClientSession {
        var session = MQTTClientSession(configuration: settings.configuration)
        _ = session.start(.connect(ConnectOptions(clientID: "c", keepAlive: keepAlive)), id: 1, now: time)
        _ = session.transportConnected(now: time)
        _ = session.packetReceived(.connack(ConnAckPacket(sessionPresent: false, returnCode: .accepted)), now: time)
        return session
    }

    @Test("connect opens the transport, sends CONNECT with the will, completes on CONNACK")
    func connect() throws {
        let will = ConnectPacket.Will(topic: try TopicName("w"), payload: ByteBuffer(string: "gone"), qos: .atLeastOnce)
        let settings = GenericClientSettings(will: will)
        var session = MQTTClientSession(configuration: settings.configuration)
        let request = ConnectRequest(host: "127.0.0.1", port: 1883, clientID: "", cleanSession: true, keepAlive: 0)
        #expect(session.start(.connect(settings.connectOptions(for: request)), id: 1, now: 0) == [.openTransport])
        let sent = session.transportConnected(now: 1).sentPackets
        guard case .connect(let packet)? = sent.first else {
            Issue.record("no CONNECT: \(sent)")
            return
        }
        #expect(packet.clientID == "")
        #expect(packet.will == will)
        let connack = ConnAckPacket(sessionPresent: false, returnCode: .accepted)
        #expect(session.packetReceived(.connack(connack), now: 2).contains(.complete(1, .answered(.connack(connack)))))
        #expect(session.isConnected)
    }

    @Test("QoS 2 publish: PUBLISH, PUBREC -> PUBREL, completes only on PUBCOMP")
    func qos2Outgoing() {
        var session = connected()
        let first = session.start(.publish(ApplicationMessage(topic: topic, payload: ByteBuffer(string: "x"), qos: .exactlyOnce, retain: true)), id: 2, now: 5)
        guard case .publish(let publish)? = first.sentPackets.first, let id = publish.packetID else {
            Issue.record("no PUBLISH: \(first)")
            return
        }
        #expect(publish.qos == .exactlyOnce && publish.retain)
        #expect(!first.completesAnOperation)
        let afterRec = session.packetReceived(.pubrec(packetID: id), now: 6)
        #expect(afterRec.sentPackets == [.pubrel(packetID: id)])
        #expect(!afterRec.completesAnOperation)
        #expect(session.packetReceived(.pubcomp(packetID: id), now: 7).contains(.complete(2, .answered(.pubcomp(packetID: id)))))
    }

    @Test("received QoS 1 and 2 are acknowledged with auto_ack, and not without it", arguments: [true, false])
    func incoming(autoAck: Bool) {
        var session = connected(settings: GenericClientSettings(acknowledgesMessages: autoAck))
        let message = PublishPacket(topic: topic, payload: ByteBuffer(string: "1"), qos: .atLeastOnce, packetID: 7)
        let one = session.packetReceived(.publish(message), now: 1)
        let two = session.packetReceived(.publish(PublishPacket(topic: topic, payload: ByteBuffer(string: "2"), qos: .exactlyOnce, packetID: 8)), now: 2)
        #expect(one.contains(.deliver(message)))
        #expect(one.sentPackets == (autoAck ? [.puback(packetID: 7)] : []))
        #expect(two.sentPackets == (autoAck ? [.pubrec(packetID: 8)] : []))
        // PUBREL is always completed: the broker sends it only after a PUBREC.
        #expect(session.packetReceived(.pubrel(packetID: 8), now: 3).sentPackets == [.pubcomp(packetID: 8)])
    }

    @Test("every PUBLISH read is delivered, a repeated QoS 2 one too (the generic client reports what arrives)")
    func repeatedQoS2() {
        var session = connected()
        let message = PublishPacket(topic: topic, payload: ByteBuffer(string: "2"), qos: .exactlyOnce, packetID: 8)
        _ = session.packetReceived(.publish(message), now: 1)
        var again = message
        again.dup = true
        #expect(session.packetReceived(.publish(again), now: 2) == [.deliver(again), .send(.pubrec(packetID: 8))])
    }

    @Test("raw bytes open the transport without CONNECT; a later CONNACK is reported")
    func rawBytes() {
        var session = MQTTClientSession(configuration: GenericClientSettings().configuration)
        let bytes = ByteBuffer(bytes: [0xc0, 0x00])
        #expect(session.start(.write(.bytes(bytes)), id: 1, now: 0) == [.openTransport])
        let opened = session.transportConnected(now: 1)
        #expect(opened.sentPackets.isEmpty)
        #expect(opened.contains(.sendBytes(bytes)))
        #expect(opened.contains(.complete(1, .done)))
        #expect(session.isTransportOpen && !session.isConnected)
        // Raw bytes on an open transport go out at once.
        #expect(session.start(.write(.bytes(bytes)), id: 2, now: 2).first == .sendBytes(bytes))
        let connack = ConnAckPacket(sessionPresent: false, returnCode: .accepted)
        #expect(session.packetReceived(.connack(connack), now: 3).contains(.report(.connAckReceived(connack))))
        #expect(session.isConnected)
    }

    @Test("the broker closing the connection is reported and ends waiting operations")
    func brokerCloses() {
        var session = connected()
        _ = session.start(.subscribe([.init(filter: topicFilter("a/#"), qos: .exactlyOnce)]), id: 2, now: 1)
        let actions = session.transportClosed(now: 2)
        #expect(actions.contains(.report(.disconnected(reason: "the broker closed the connection"))))
        #expect(actions.contains(.complete(2, .connectionEnded(reason: "the broker closed the connection"))))
        #expect(!session.isTransportOpen)
    }

    @Test("restart drops the connection without DISCONNECT (so the broker sends the will)")
    func restart() {
        var session = connected()
        let actions = session.restart(now: 1)
        #expect(actions.sentPackets.isEmpty)
        #expect(actions.contains(.closeTransport))
        #expect(session.start(.disconnect, id: 2, now: 2) == [.complete(2, .done)])
    }

    @Test("disconnect completes only when the connection has closed, and a connect while closing is refused")
    func disconnectWaitsForTheClose() {
        var session = connected()
        let actions = session.start(.disconnect, id: 2, now: 1)
        #expect(actions.sentPackets == [.disconnect])
        #expect(actions.contains(.closeTransport))
        #expect(!actions.completesAnOperation)
        #expect(session.start(.disconnect, id: 3, now: 2) == [.complete(3, .connectionEnded(reason: "a disconnect is already in progress"))])
        let options = ConnectOptions(clientID: "c", cleanSession: true, keepAlive: 0)
        #expect(session.start(.connect(options), id: 4, now: 2) == [.complete(4, .connectionEnded(reason: "the client is already connected or connecting"))])
        let closed = session.transportClosed(now: 3)
        #expect(closed.contains(.report(.disconnected(reason: "the client disconnected"))))
        #expect(closed.contains(.complete(2, .done)))
        #expect(session.start(.connect(options), id: 5, now: 4) == [.openTransport])
        // Still opening: nothing to close cleanly yet.
        #expect(session.start(.disconnect, id: 6, now: 5) == [.complete(6, .connectionEnded(reason: "the connection is still opening"))])
    }

    @Test("pings a keep-alive period after the last packet sent; never when pings are off")
    func keepAlive() {
        let second: Int64 = 1_000_000_000
        var session = connected(keepAlive: 2, at: 10 * second)
        #expect(session.nextDeadline == 12 * second)
        #expect(session.tick(now: 11 * second) == [.scheduleTick(at: 12 * second)])
        let due = session.tick(now: 12 * second)
        #expect(due.sentPackets == [.pingreq])
        #expect(due.contains(.scheduleTick(at: 14 * second)))
        var silent = connected(settings: GenericClientSettings(sendsPings: false), keepAlive: 2, at: 0)
        #expect(silent.nextDeadline == nil)
        #expect(silent.tick(now: 100 * second).isEmpty)
    }

    @Test("a PUBACK for a QoS 2 PUBLISH (or PUBREC for QoS 1) is the broker's protocol violation, reported at once and failing the publish")
    func wrongAcknowledgement() {
        var session = connected()
        let sent = session.start(.publish(ApplicationMessage(topic: topic, payload: ByteBuffer(string: "x"), qos: .exactlyOnce)), id: 2, now: 1)
        guard case .publish(let publish)? = sent.sentPackets.first, let id = publish.packetID else {
            Issue.record("no PUBLISH: \(sent)")
            return
        }
        let violation = "the broker answered the QoS 2 PUBLISH (packet id \(id)) with PUBACK instead of PUBREC [MQTT-4.3.3-2] [MQTT-3.3.4-1]"
        #expect(session.packetReceived(.puback(packetID: id), now: 2) == [.report(.protocolViolation(violation)), .complete(2, .protocolViolation(reason: violation))])
        // The next publication gets a fresh identifier and completes normally.
        let next = session.start(.publish(ApplicationMessage(topic: topic, payload: ByteBuffer(string: "y"), qos: .atLeastOnce)), id: 3, now: 3)
        guard case .publish(let second)? = next.sentPackets.first, let secondID = second.packetID else {
            Issue.record("no PUBLISH: \(next)")
            return
        }
        let qos1Violation = "the broker answered the QoS 1 PUBLISH (packet id \(secondID)) with PUBREC instead of PUBACK [MQTT-4.3.2-2] [MQTT-3.3.4-1]"
        #expect(session.packetReceived(.pubrec(packetID: secondID), now: 4).contains(.complete(3, .protocolViolation(reason: qos1Violation))))
    }

    @Test("a malformed packet from the broker: reported, the client closes, and pending operations say the broker broke the protocol, not that it closed")
    func malformedPacket() throws {
        var session = connected()
        _ = session.start(.subscribe([.init(filter: try TopicFilter("a/#"), qos: .atLeastOnce)]), id: 2, now: 1)
        let what = "SUBACK return code 0x8f is reserved [MQTT-3.9.3-2]"
        let violation = "the broker sent a malformed packet: \(what)"
        #expect(session.malformedPacketReceived(what, now: 2) == [.report(.protocolViolation(violation)), .closeTransport])
        #expect(session.malformedPacketReceived(what, now: 2) == [])
        let closed = session.transportClosed(now: 3)
        #expect(closed.contains(.report(.disconnected(reason: "the client closed the connection because \(violation)"))))
        #expect(closed.contains(.complete(2, .protocolViolation(reason: violation))))
        // A later close of another connection is the broker's again.
        var again = connected()
        #expect(again.transportClosed(now: 5).contains(.report(.disconnected(reason: "the broker closed the connection"))))
    }
}
