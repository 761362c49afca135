import HarnessTestSupport
import MQTTClientCore
import MQTTCore
import NIOCore
import Testing

/// MQTT 5.0 flow control (section 4.9) both ways: the broker's Receive Maximum limits what the
/// client has in flight; the client's own is enforced on the broker.
@Suite struct FlowControlTests {
    @Test("with the broker's receive maximum 2, a third QoS 1 publish waits and goes out when a PUBACK frees a place")
    func queuesBeyondServerReceiveMaximum() {
        var session = connected5(connack: [.receiveMaximum(2)])
        #expect(session.start(.publish(message("1", qos: .atLeastOnce)), id: 2, now: 0).sentPackets.count == 1)
        #expect(session.start(.publish(message("2", qos: .exactlyOnce)), id: 3, now: 0).sentPackets.count == 1)
        let third = session.start(.publish(message("3", qos: .atLeastOnce)), id: 4, now: 0)
        #expect(third.sentPackets.isEmpty)
        #expect(third.outcomes.isEmpty)
        // QoS 0 is not counted: it goes out at once.
        #expect(session.start(.publish(message("0")), id: 5, now: 0).sentPackets.count == 1)
        let acked = session.packetReceived(.puback(packetID: 1), now: 0)
        #expect(acked.outcomes[2] == .answered(.puback(packetID: 1)))
        guard case .publish(let released)? = acked.sentPackets.first else {
            Issue.record("the queued publish was not sent: \(acked)")
            return
        }
        #expect(String(buffer: released.payload) == "3")
        #expect(released.packetID == 3)
        #expect(session.packetReceived(.puback(packetID: 3), now: 0).outcomes[4] == .answered(.puback(packetID: 3)))
    }

    @Test("a PUBREC with a failure code ends the QoS 2 exchange without PUBREL and frees its place")
    func pubrecFailureEndsExchange() {
        var session = connected5(connack: [.receiveMaximum(1)])
        _ = session.start(.publish(message("1", qos: .exactlyOnce)), id: 2, now: 0)
        #expect(session.start(.publish(message("2", qos: .atLeastOnce)), id: 3, now: 0).sentPackets.isEmpty)
        let refusal = PublishAckPacket(packetID: 1, reasonCode: .quotaExceeded)
        let actions = session.packetReceived(.pubrec(refusal), now: 0)
        #expect(actions.outcomes[2] == .answered(.pubrec(refusal)))
        #expect(!actions.sentPackets.contains(.pubrel(packetID: 1)))
        #expect(actions.sentPackets.first?.type == .publish)
    }

    @Test("publishes still waiting for a place end when the connection closes")
    func queuedEndOnClose() {
        var session = connected5(connack: [.receiveMaximum(1)])
        _ = session.start(.publish(message("1", qos: .atLeastOnce)), id: 2, now: 0)
        _ = session.start(.publish(message("2", qos: .atLeastOnce)), id: 3, now: 0)
        let outcomes = session.transportClosed(now: 0).outcomes
        #expect(outcomes[2] == .connectionEnded(reason: "the broker closed the connection"))
        #expect(outcomes[3] == .connectionEnded(reason: "the broker closed the connection"))
    }

    @Test("the broker exceeding the client's receive maximum is a protocol error: DISCONNECT 0x93")
    func clientReceiveMaximumEnforced() {
        // QoS 2 messages count until PUBREL releases them.
        var session = connected5(connect: [.receiveMaximum(2)])
        _ = session.packetReceived(.publish(incoming("t", qos: .exactlyOnce, id: 1)), now: 0)
        _ = session.packetReceived(.publish(incoming("t", qos: .exactlyOnce, id: 2)), now: 0)
        // A duplicate of one in flight is not a new one.
        #expect(session.packetReceived(.publish(incoming("t", qos: .exactlyOnce, id: 2)), now: 0).sentDisconnect == nil)
        let third = session.packetReceived(.publish(incoming("t", qos: .exactlyOnce, id: 3)), now: 0)
        #expect(third.sentDisconnect?.reasonCode == .receiveMaximumExceeded)
        #expect(third.closes)
        #expect(!third.contains { if case .deliver = $0 { true } else { false } })
        #expect(third.violations.first?.contains("[MQTT-3.3.4-9]") == true)
    }

    @Test("a PUBREL makes room again under the client's receive maximum")
    func releaseMakesRoom() {
        var session = connected5(connect: [.receiveMaximum(1)])
        _ = session.packetReceived(.publish(incoming("t", qos: .exactlyOnce, id: 1)), now: 0)
        _ = session.packetReceived(.pubrel(packetID: 1), now: 0)
        #expect(session.packetReceived(.publish(incoming("t", qos: .exactlyOnce, id: 2)), now: 0).sentDisconnect == nil)
    }

    @Test("unacknowledged QoS 1 messages count too, for a client that leaves them unacknowledged")
    func unacknowledgedQoS1Counts() {
        var session = connected5(v5(acknowledgements: .releasesOnly), connect: [.receiveMaximum(1)])
        #expect(session.packetReceived(.publish(incoming("t", qos: .atLeastOnce, id: 1)), now: 0).sentPackets.isEmpty)
        #expect(session.packetReceived(.publish(incoming("t", qos: .atLeastOnce, id: 2)), now: 0).sentDisconnect?.reasonCode == .receiveMaximumExceeded)
    }
}
