import HarnessTestSupport
import MQTTClientCore
import MQTTCore
import NIOCore
import Testing

/// MQTT 5.0 Maximum Packet Size both ways (section 3.1.2.11.4, 3.2.2.3.6).
@Suite struct MaximumPacketSizeTests {
    @Test("a PUBLISH larger than the broker's maximum is refused and not sent; one that fits goes out")
    func outgoingLimit() throws {
        var session = connected5(connack: [.maximumPacketSize(20)])
        // Fixed header 2 + topic 2+3 + property length 1 + payload: 12 bytes of payload make 20.
        let fits = ApplicationMessage(topic: topicName("a/b"), payload: ByteBuffer(string: String(repeating: "x", count: 12)))
        let sent = session.start(.publish(fits), id: 2, now: 0).sentPackets
        #expect(sent.count == 1)
        #expect(try sent.first?.encoded(version: .v5).readableBytes == 20)
        let tooLarge = ApplicationMessage(topic: topicName("a/b"), payload: ByteBuffer(string: String(repeating: "x", count: 13)))
        let refused = session.start(.publish(tooLarge), id: 3, now: 0)
        #expect(refused.sentPackets.isEmpty)
        #expect(refused.outcomes[3] == .unsupported(reason: "the PUBLISH is 21 bytes, above the broker's maximum_packet_size of 20 bytes [MQTT-3.1.2-24]"))
    }

    @Test("a SUBSCRIBE larger than the broker's maximum is refused too")
    func outgoingSubscribeLimit() {
        var session = connected5(connack: [.maximumPacketSize(10)])
        let actions = session.start(.subscribe([.init(filter: topicFilter("a/very/long/filter"), qos: .atMostOnce)]), id: 2, now: 0)
        #expect(actions.sentPackets.isEmpty)
        #expect(actions.outcomes[2].map { if case .unsupported = $0 { true } else { false } } == true)
    }

    @Test("a packet larger than the client's maximum: DISCONNECT 0x95 Packet too large, then close")
    func incomingTooLarge() {
        var session = connected5(connect: [.maximumPacketSize(100)])
        #expect(session.maximumIncomingPacketSize == 100)
        let actions = session.malformedPacketReceived("a packet of 500 bytes is above the limit of 100", tooLarge: true, now: 0)
        #expect(actions.sentDisconnect?.reasonCode == .packetTooLarge)
        #expect(actions.closes)
        let closed = session.transportClosed(now: 0)
        #expect(closed.contains(.report(.disconnected(reason: "the client closed the connection because the broker sent a malformed packet: a packet of 500 bytes is above the limit of 100"))))
    }

    @Test("a malformed packet in 5.0: DISCONNECT 0x81; in 3.1.1 only the close, as before")
    func malformedPacket() {
        var session = connected5()
        #expect(session.malformedPacketReceived("bad", now: 0).sentDisconnect?.reasonCode == .malformedPacket)
        var old = connectedSession()
        #expect(old.malformedPacketReceived("bad", now: 0) == [.report(.protocolViolation("the broker sent a malformed packet: bad")), .closeTransport])
    }
}
