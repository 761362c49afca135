import HarnessTestSupport
import MQTTClientCore
import MQTTCore
import NIOCore
import Testing

/// The keep-alive policies: who pings, and when.
@Suite struct KeepAliveTests {
    func session(_ policy: KeepAlivePolicy, keepAlive: UInt16 = 10) -> MQTTClientSession {
        connectedSession(MQTTClientConfiguration(keepAlive: policy), options: ConnectOptions(clientID: "c", keepAlive: keepAlive))
    }

    @Test("off: no deadline, no PINGREQ")
    func off() {
        var quiet = session(.off)
        #expect(quiet.nextDeadline == nil)
        #expect(quiet.tick(now: 1000 * second) == [])
    }

    @Test("keep-alive 0 switches pinging off under every policy", arguments: [KeepAlivePolicy.afterLastSent, .afterSilence, .every(.seconds(5))])
    func zero(policy: KeepAlivePolicy) {
        #expect(session(policy, keepAlive: 0).nextDeadline == nil)
    }

    @Test("after the last packet sent: a send moves the deadline, a received packet does not")
    func afterLastSent() {
        var pinging = session(.afterLastSent)
        #expect(pinging.nextDeadline == 10 * second)
        _ = pinging.start(.publish(message("x")), id: 2, now: 4 * second)
        #expect(pinging.nextDeadline == 14 * second)
        _ = pinging.packetReceived(.publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer())), now: 6 * second)
        #expect(pinging.nextDeadline == 14 * second)
        #expect(pinging.tick(now: 14 * second) == [.send(.pingreq), .scheduleTick(at: 24 * second)])
    }

    @Test("after silence: traffic either way moves the deadline; a PINGREQ without PINGRESP for another period closes")
    func afterSilence() {
        var pinging = session(.afterSilence)
        _ = pinging.start(.publish(message("x")), id: 2, now: 4 * second)
        // Received at 0 (CONNACK), sent at 4: the older one counts.
        #expect(pinging.nextDeadline == 10 * second)
        _ = pinging.packetReceived(.pingresp, now: 5 * second)
        #expect(pinging.nextDeadline == 14 * second)
        #expect(pinging.tick(now: 14 * second) == [.send(.pingreq), .scheduleTick(at: 24 * second)])
        #expect(pinging.tick(now: 24 * second) == [.report(.disconnected(reason: "no PINGRESP within the keep-alive of 10s")), .closeTransport])
    }

    @Test("every interval from CONNECT, whatever else was sent")
    func every() {
        var pinging = session(.every(.seconds(5)))
        _ = pinging.start(.publish(message("x")), id: 2, now: 4 * second)
        #expect(pinging.nextDeadline == 5 * second)
        #expect(pinging.tick(now: 5 * second) == [.send(.pingreq), .scheduleTick(at: 10 * second)])
    }

    @Test("no pings while not connected")
    func notConnected() {
        var session = MQTTClientSession(configuration: MQTTClientConfiguration(keepAlive: .afterLastSent))
        _ = session.start(.connect(ConnectOptions(clientID: "c", keepAlive: 1)), id: 1, now: 0)
        _ = session.transportConnected(now: 0)
        #expect(session.nextDeadline == nil)
        #expect(session.tick(now: 100 * second) == [])
    }
}
