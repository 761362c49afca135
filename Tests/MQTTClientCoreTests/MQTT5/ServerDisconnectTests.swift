import HarnessTestSupport
import MQTTClientCore
import MQTTCore
import NIOCore
import Testing

/// DISCONNECT in MQTT 5.0: the broker's, with its reason, reason string and server reference;
/// and the client's own, with a reason code and properties.
@Suite struct ServerDisconnectTests {
    @Test("the broker's DISCONNECT ends the session with its reason, in words, and ends waiting operations with it")
    func sessionTakenOver() {
        var session = connected5()
        _ = session.start(.publish(message("x", qos: .atLeastOnce)), id: 2, now: 0)
        let disconnect = DisconnectPacket(reasonCode: .sessionTakenOver)
        #expect(session.packetReceived(.disconnect(disconnect), now: 0) == [.report(.serverDisconnected(disconnect)), .closeTransport])
        let closed = session.transportClosed(now: 0)
        let reason = "the broker disconnected: session_taken_over (0x8E)"
        #expect(closed.first == .report(.disconnected(reason: reason)))
        #expect(closed.outcomes[2] == .connectionEnded(reason: reason))
    }

    @Test("a redirection (0x9C, 0x9D) with a server reference is reported as a redirection, not followed", arguments: [MQTTReasonCode.useAnotherServer, .serverMoved])
    func redirection(code: MQTTReasonCode) {
        var session = connected5()
        let disconnect = DisconnectPacket(reasonCode: code, properties: props([.serverReference("other:1884"), .reasonString("maintenance")]))
        _ = session.packetReceived(.disconnect(disconnect), now: 0)
        let closed = session.transportClosed(now: 0)
        #expect(closed == [.report(.disconnected(reason: "the broker disconnected: \(code.name) (0x\(String(code.rawValue, radix: 16, uppercase: true))), reason string \"maintenance\"; it redirected the client to \"other:1884\" (not followed)"))])
        #expect(!closed.contains(.openTransport))
    }

    @Test("peer text in the reason is escaped: a reason string with a newline is shown as hex")
    func escapedReasonString() {
        let text = MQTTClientSession.describe(DisconnectPacket(reasonCode: .serverShuttingDown, properties: props([.reasonString("a\nb")])))
        #expect(text == "the broker disconnected: server_shutting_down (0x8B), reason string 0x610a62")
        #expect(!text.contains("\n"))
    }

    @Test("the broker's DISCONNECT before CONNACK ends the connect with its reason")
    func disconnectBeforeConnAck() {
        var session = MQTTClientSession(configuration: v5())
        _ = session.start(.connect(ConnectOptions(clientID: "c")), id: 1, now: 0)
        _ = session.transportConnected(now: 0)
        _ = session.packetReceived(.disconnect(DisconnectPacket(reasonCode: .serverBusy)), now: 0)
        #expect(session.transportClosed(now: 0).outcomes[1] == .connectionEnded(reason: "the broker disconnected: server_busy (0x89)"))
    }

    @Test("the client's DISCONNECT carries its reason code and properties")
    func clientDisconnectWithReason() {
        var session = connected5()
        let properties = props([.sessionExpiryInterval(0), .reasonString("bye")])
        let actions = session.start(.disconnectWithReason(.disconnectWithWillMessage, properties: properties), id: 2, now: 0)
        #expect(actions.sentDisconnect == DisconnectPacket(reasonCode: .disconnectWithWillMessage, properties: properties))
        #expect(actions.closes)
        #expect(session.transportClosed(now: 0).outcomes[2] == .done)
    }

    @Test("a DISCONNECT setting a session expiry after a CONNECT with none is refused [MQTT-3.14.2-2]; after one with some it goes out")
    func disconnectSessionExpiry() {
        var session = connected5()
        let actions = session.start(.disconnectWithReason(.normalDisconnection, properties: props([.sessionExpiryInterval(60)])), id: 2, now: 0)
        #expect(actions == [.complete(2, .unsupported(reason: "the DISCONNECT asks for session_expiry_interval 60, and the CONNECT's was 0: a client may not set it then [MQTT-3.14.2-2]"))])
        var expiring = connected5(connect: [.sessionExpiryInterval(10)])
        #expect(expiring.start(.disconnectWithReason(.normalDisconnection, properties: props([.sessionExpiryInterval(60)])), id: 2, now: 0).sentDisconnect != nil)
    }

    @Test("with request_problem_information 0, a reason string on a PUBACK is a protocol error (DISCONNECT 0x82); on a PUBLISH it is allowed")
    func problemInformation() {
        var session = connected5(connect: [.requestProblemInformation(0)])
        #expect(session.packetReceived(.publish(incoming("t", properties: [.userProperty(name: "k", value: "v")])), now: 0).sentDisconnect == nil)
        _ = session.start(.publish(message("x", qos: .atLeastOnce)), id: 2, now: 0)
        let actions = session.packetReceived(.puback(PublishAckPacket(packetID: 1, reasonCode: .success, properties: props([.reasonString("why")]))), now: 0)
        #expect(actions.sentDisconnect?.reasonCode == .protocolError)
        #expect(actions.violations.first?.hasSuffix("[MQTT-3.1.2-29]") == true)
        var asking = connected5()
        _ = asking.start(.publish(message("x", qos: .atLeastOnce)), id: 2, now: 0)
        #expect(asking.packetReceived(.puback(PublishAckPacket(packetID: 1, reasonCode: .success, properties: props([.reasonString("why")]))), now: 0).sentDisconnect == nil)
    }

    @Test("in 3.1.1 a DISCONNECT from the broker is still left alone, as before")
    func v311Unchanged() {
        var session = connectedSession()
        #expect(session.packetReceived(.disconnect, now: 0).isEmpty)
    }
}
