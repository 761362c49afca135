import Devices
import MQTTCore
import NIOCore
import Testing

/// The generic client's logic without sockets: events in, actions out, time passed in.
@Suite struct GenericClientMachineTests {
    let topic = try! TopicName("a/b")

    /// A machine that has connected (CONNECT sent, CONNACK 0 received) at time `at`.
    func connected(settings: GenericClientSettings = GenericClientSettings(), keepAlive: UInt16 = 0, at time: UInt64 = 0) -> GenericClientMachine {
        var machine = GenericClientMachine(settings: settings)
        _ = machine.connect(ConnectPacket(clientID: "c", keepAlive: keepAlive), now: time)
        _ = machine.transportConnected(now: time)
        _ = machine.packetReceived(.connack(ConnAckPacket(sessionPresent: false, returnCode: .accepted)), now: time)
        return machine
    }

    func sentPackets(_ actions: [GenericClientMachine.Action]) -> [MQTTPacket] {
        actions.compactMap { if case .send(let packet) = $0 { packet } else { nil } }
    }

    @Test("connect opens the transport, sends CONNECT with the will, completes on CONNACK")
    func connect() throws {
        let will = ConnectPacket.Will(topic: try TopicName("w"), payload: ByteBuffer(string: "gone"), qos: .atLeastOnce)
        var machine = GenericClientMachine(settings: GenericClientSettings(will: will))
        #expect(machine.connect(ConnectPacket(clientID: "", cleanSession: true), now: 0) == [.openTransport])
        let sent = sentPackets(machine.transportConnected(now: 1))
        guard case .connect(let packet)? = sent.first else {
            Issue.record("no CONNECT: \(sent)")
            return
        }
        #expect(packet.clientID == "")
        #expect(packet.will == will)
        let actions = machine.packetReceived(.connack(ConnAckPacket(sessionPresent: false, returnCode: .accepted)), now: 2)
        #expect(actions.contains(.complete(.connect, .answered)))
        #expect(machine.isConnected)
    }

    @Test("QoS 2 publish: PUBLISH, PUBREC -> PUBREL, completes only on PUBCOMP")
    func qos2Outgoing() {
        var machine = connected()
        let first = machine.publish(topic, payload: ByteBuffer(string: "x"), qos: .exactlyOnce, retain: true, now: 5)
        guard case .publish(let publish)? = sentPackets(first).first, let id = publish.packetID else {
            Issue.record("no PUBLISH: \(first)")
            return
        }
        #expect(publish.qos == .exactlyOnce && publish.retain)
        #expect(!first.contains { if case .complete = $0 { true } else { false } })
        let afterRec = machine.packetReceived(.pubrec(packetID: id), now: 6)
        #expect(sentPackets(afterRec) == [.pubrel(packetID: id)])
        #expect(!afterRec.contains(.complete(.publish, .answered)))
        #expect(machine.packetReceived(.pubcomp(packetID: id), now: 7).contains(.complete(.publish, .answered)))
    }

    @Test("received QoS 1 and 2 are acknowledged with auto_ack, and not without it", arguments: [true, false])
    func incoming(autoAck: Bool) {
        var machine = connected(settings: GenericClientSettings(acknowledgesMessages: autoAck))
        let one = machine.packetReceived(.publish(PublishPacket(topic: topic, payload: ByteBuffer(string: "1"), qos: .atLeastOnce, packetID: 7)), now: 1)
        let two = machine.packetReceived(.publish(PublishPacket(topic: topic, payload: ByteBuffer(string: "2"), qos: .exactlyOnce, packetID: 8)), now: 2)
        #expect(one.contains(.report(.messageReceived(topic: topic, payload: ByteBuffer(string: "1"), qos: .atLeastOnce))))
        #expect(sentPackets(one) == (autoAck ? [.puback(packetID: 7)] : []))
        #expect(sentPackets(two) == (autoAck ? [.pubrec(packetID: 8)] : []))
        // PUBREL is always completed: the broker sends it only after a PUBREC.
        #expect(sentPackets(machine.packetReceived(.pubrel(packetID: 8), now: 3)) == [.pubcomp(packetID: 8)])
    }

    @Test("raw bytes open the transport without CONNECT; a later CONNACK is reported")
    func rawBytes() {
        var machine = GenericClientMachine()
        let bytes = ByteBuffer(bytes: [0xc0, 0x00])
        #expect(machine.sendBytes(bytes, now: 0) == [.openTransport])
        let opened = machine.transportConnected(now: 1)
        #expect(sentPackets(opened).isEmpty)
        #expect(opened.contains(.sendBytes(bytes)))
        #expect(opened.contains(.complete(.sendBytes, .answered)))
        #expect(machine.isTransportOpen && !machine.isConnected)
        // Raw bytes on an open transport go out at once.
        #expect(machine.sendBytes(bytes, now: 2).first == .sendBytes(bytes))
        let connack = ConnAckPacket(sessionPresent: false, returnCode: .accepted)
        #expect(machine.packetReceived(.connack(connack), now: 3).contains(.report(.connAckReceived(connack))))
        #expect(machine.isConnected)
    }

    @Test("the broker closing the connection is reported and ends waiting operations")
    func brokerCloses() {
        var machine = connected()
        _ = machine.subscribe(to: try! TopicFilter("a/#"), qos: .exactlyOnce, now: 1)
        let actions = machine.transportClosed(now: 2)
        #expect(actions.contains(.report(.disconnected(reason: "the broker closed the connection"))))
        #expect(actions.contains(.complete(.subscribe, .connectionEnded(reason: "the broker closed the connection"))))
        #expect(!machine.isTransportOpen)
    }

    @Test("restart drops the connection without DISCONNECT (so the broker sends the will)")
    func restart() {
        var machine = connected()
        let actions = machine.restart(now: 1)
        #expect(sentPackets(actions).isEmpty)
        #expect(actions.contains(.closeTransport))
        #expect(machine.disconnect(now: 2) == [.complete(.disconnect, .answered)])
    }

    @Test("disconnect completes only when the connection has closed, and a connect while closing is refused")
    func disconnectWaitsForTheClose() {
        var machine = connected()
        let actions = machine.disconnect(now: 1)
        #expect(sentPackets(actions) == [.disconnect])
        #expect(actions.contains(.closeTransport))
        #expect(!actions.contains(.complete(.disconnect, .answered)))
        #expect(machine.disconnect(now: 2).isEmpty)
        let packet = ConnectPacket(clientID: "c", cleanSession: true, keepAlive: 0)
        #expect(machine.connect(packet, now: 2) == [.complete(.connect, .connectionEnded(reason: "the client is already connected or connecting"))])
        let closed = machine.transportClosed(now: 3)
        #expect(closed.contains(.report(.disconnected(reason: "the client disconnected"))))
        #expect(closed.contains(.complete(.disconnect, .answered)))
        #expect(machine.connect(packet, now: 4) == [.openTransport])
        // Still opening: nothing to close cleanly yet.
        #expect(machine.disconnect(now: 5) == [.complete(.disconnect, .connectionEnded(reason: "the connection is still opening"))])
    }

    @Test("pings a keep-alive period after the last packet sent; never when pings are off")
    func keepAlive() {
        let second: UInt64 = 1_000_000_000
        var machine = connected(keepAlive: 2, at: 10 * second)
        #expect(machine.pingDue == 12 * second)
        #expect(machine.tick(now: 11 * second) == [.scheduleTick(at: 12 * second)])
        let due = machine.tick(now: 12 * second)
        #expect(sentPackets(due) == [.pingreq])
        #expect(due.contains(.scheduleTick(at: 14 * second)))
        var silent = connected(settings: GenericClientSettings(sendsPings: false), keepAlive: 2, at: 0)
        #expect(silent.pingDue == nil)
        #expect(silent.tick(now: 100 * second).isEmpty)
    }

    @Test("a PUBACK for a QoS 2 PUBLISH (or PUBREC for QoS 1) is the broker's protocol violation, reported at once and failing the publish")
    func wrongAcknowledgement() {
        var machine = connected()
        let sent = machine.publish(topic, payload: ByteBuffer(string: "x"), qos: .exactlyOnce, retain: false, now: 1)
        guard case .publish(let publish)? = sentPackets(sent).first, let id = publish.packetID else {
            Issue.record("no PUBLISH: \(sent)")
            return
        }
        let violation = "the broker answered the QoS 2 PUBLISH (packet id \(id)) with PUBACK instead of PUBREC [MQTT-4.3.3-2] [MQTT-3.3.4-1]"
        #expect(machine.packetReceived(.puback(packetID: id), now: 2) == [.report(.protocolViolation(violation)), .complete(.publish, .protocolViolation(reason: violation))])
        // The next publication gets a fresh identifier and completes normally.
        let next = machine.publish(topic, payload: ByteBuffer(string: "y"), qos: .atLeastOnce, retain: false, now: 3)
        guard case .publish(let second)? = sentPackets(next).first, let secondID = second.packetID else {
            Issue.record("no PUBLISH: \(next)")
            return
        }
        let qos1Violation = "the broker answered the QoS 1 PUBLISH (packet id \(secondID)) with PUBREC instead of PUBACK [MQTT-4.3.2-2] [MQTT-3.3.4-1]"
        #expect(machine.packetReceived(.pubrec(packetID: secondID), now: 4).contains(.complete(.publish, .protocolViolation(reason: qos1Violation))))
    }

    @Test("a malformed packet from the broker: reported, the client closes, and pending operations say the broker broke the protocol, not that it closed")
    func malformedPacket() throws {
        var machine = connected()
        _ = machine.subscribe(to: try TopicFilter("a/#"), qos: .atLeastOnce, now: 1)
        let what = "SUBACK return code 0x8f is reserved [MQTT-3.9.3-2]"
        let violation = "the broker sent a malformed packet: \(what)"
        #expect(machine.malformedPacketReceived(what, now: 2) == [.report(.protocolViolation(violation)), .closeTransport])
        #expect(machine.malformedPacketReceived(what, now: 2) == [])
        let closed = machine.transportClosed(now: 3)
        #expect(closed.contains(.report(.disconnected(reason: "the client closed the connection because \(violation)"))))
        #expect(closed.contains(.complete(.subscribe, .protocolViolation(reason: violation))))
        // A later close of another connection is the broker's again.
        var again = connected()
        #expect(again.transportClosed(now: 5).contains(.report(.disconnected(reason: "the broker closed the connection"))))
    }
}
