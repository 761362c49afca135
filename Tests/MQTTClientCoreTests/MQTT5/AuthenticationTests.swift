import HarnessTestSupport
import MQTTClientCore
import MQTTCore
import NIOCore
import Testing

/// A broker's side of a challenge-response method, as small as a test needs: it challenges
/// with each of `challenges` in turn and wants `expected` back, then accepts (CONNACK, or AUTH
/// Success on a re-authentication); a wrong answer is refused with CONNACK 0x87.
struct FakeAuthServer {
    let method: String
    let challenges: [String]
    let expected: [String]
    var step = 0
    var reauthenticating = false

    /// The broker's answer to one packet of the client's.
    mutating func answer(_ packet: MQTTPacket) -> MQTTPacket? {
        switch packet {
        case .connect(let connect):
            guard case .authenticationMethod(method)? = connect.properties.first(.authenticationMethod) else {
                return .connack(ConnAckPacket(reasonCode: .badAuthenticationMethod))
            }
            step = 0
            return challenge()
        case .auth(let auth) where auth.reasonCode == .reAuthenticate:
            step = 0
            reauthenticating = true
            return challenge()
        case .auth(let auth) where auth.reasonCode == .continueAuthentication:
            guard case .authenticationData(let data)? = auth.properties.first(.authenticationData), String(buffer: data) == expected[step] else {
                return .connack(ConnAckPacket(reasonCode: .notAuthorized))
            }
            step += 1
            if step < challenges.count { return challenge() }
            return reauthenticating ? .auth(AuthPacket(reasonCode: .success, properties: props([.authenticationMethod(method)]))) : .connack(ConnAckPacket(reasonCode: .success))
        default:
            return nil
        }
    }

    func challenge() -> MQTTPacket {
        .auth(AuthPacket(reasonCode: .continueAuthentication, properties: props([.authenticationMethod(method), .authenticationData(ByteBuffer(string: challenges[step]))])))
    }
}

/// Runs `actions` against `server` until neither has more to say; every action the session
/// took along the way.
func exchange(_ session: inout MQTTClientSession, _ server: inout FakeAuthServer, starting actions: [MQTTClientSession.Action]) -> [MQTTClientSession.Action] {
    var all = actions
    var pending = actions.sentPackets
    for _ in 0..<20 {
        guard !pending.isEmpty else { break }
        let packet = pending.removeFirst()
        guard let reply = server.answer(packet) else { continue }
        let next = session.packetReceived(reply, now: 0)
        all += next
        pending += next.sentPackets
    }
    return all
}

/// MQTT 5.0 enhanced authentication (section 4.12) against a fake broker.
@Suite struct AuthenticationTests {
    let connectProperties = props([.authenticationMethod("SCRAM-TEST"), .authenticationData(ByteBuffer(string: "client-first"))])

    func connecting(_ policy: AuthenticationPolicy?) -> (MQTTClientSession, [MQTTClientSession.Action]) {
        var session = MQTTClientSession(configuration: v5(policy))
        _ = session.start(.connect(ConnectOptions(clientID: "c", properties: connectProperties)), id: 1, now: 0)
        let actions = session.transportConnected(now: 0)
        return (session, actions)
    }

    @Test("a two-step challenge is answered from the policy's responses, in order, and the connection is accepted")
    func twoSteps() {
        var server = FakeAuthServer(method: "SCRAM-TEST", challenges: ["nonce-1", "nonce-2"], expected: ["proof-1", "proof-2"])
        var (session, start) = connecting(AuthenticationPolicy(responses: [ByteBuffer(string: "proof-1"), ByteBuffer(string: "proof-2")]))
        let actions = exchange(&session, &server, starting: start)
        #expect(session.isConnected)
        #expect(actions.outcomes[1] == .answered(.connack(ConnAckPacket(reasonCode: .success))))
        let challenges = actions.compactMap { action -> String? in
            guard case .report(.authenticationChallenge(let auth)) = action, case .authenticationData(let data)? = auth.properties.first(.authenticationData) else { return nil }
            return String(buffer: data)
        }
        #expect(challenges == ["nonce-1", "nonce-2"])
    }

    @Test("a wrong response is the broker's to refuse: the connect is answered with its CONNACK")
    func wrongResponse() {
        var server = FakeAuthServer(method: "SCRAM-TEST", challenges: ["nonce-1"], expected: ["proof-1"])
        var (session, start) = connecting(AuthenticationPolicy(responses: [ByteBuffer(string: "guess")]))
        let actions = exchange(&session, &server, starting: start)
        #expect(actions.outcomes[1] == .answered(.connack(ConnAckPacket(reasonCode: .notAuthorized))))
        #expect(!session.isConnected)
    }

    @Test("a challenge beyond the policy's responses ends the attempt with DISCONNECT and says why")
    func outOfResponses() {
        var server = FakeAuthServer(method: "SCRAM-TEST", challenges: ["nonce-1", "nonce-2"], expected: ["proof-1", "proof-2"])
        var (session, start) = connecting(AuthenticationPolicy(responses: [ByteBuffer(string: "proof-1")]))
        let actions = exchange(&session, &server, starting: start)
        #expect(actions.sentDisconnect?.reasonCode == .unspecifiedError)
        #expect(actions.closes)
        let reason = "the client closed the connection because the broker asked for authentication step 2, and the client has 1 response"
        #expect(session.transportClosed(now: 0).outcomes[1] == .connectionEnded(reason: reason))
    }

    @Test("an AUTH naming another method is a protocol error: DISCONNECT 0x82")
    func wrongMethod() {
        var (session, _) = connecting(AuthenticationPolicy(responses: []))
        let auth = AuthPacket(reasonCode: .continueAuthentication, properties: props([.authenticationMethod("OTHER")]))
        let actions = session.packetReceived(.auth(auth), now: 0)
        #expect(actions.sentDisconnect?.reasonCode == .protocolError)
        #expect(actions.violations.first?.contains("[MQTT-4.12.0-5]") == true)
    }

    @Test("an AUTH when the CONNECT named no method is a protocol error: DISCONNECT 0x82")
    func authWithoutMethod() {
        var session = connected5()
        let actions = session.packetReceived(.auth(AuthPacket(reasonCode: .continueAuthentication)), now: 0)
        #expect(actions.sentDisconnect?.reasonCode == .protocolError)
        #expect(actions.closes)
    }

    @Test("re-authentication: AUTH 0x19 with the policy's data, challenges answered again from the first response, done on AUTH Success")
    func reauthentication() {
        var server = FakeAuthServer(method: "SCRAM-TEST", challenges: ["nonce-1"], expected: ["proof-1"])
        let policy = AuthenticationPolicy(responses: [ByteBuffer(string: "proof-1")], reauthenticationData: ByteBuffer(string: "again"))
        var (session, start) = connecting(policy)
        _ = exchange(&session, &server, starting: start)
        #expect(session.isConnected)
        let begin = session.start(.reauthenticate, id: 2, now: 0)
        #expect(begin.sentPackets == [.auth(AuthPacket(reasonCode: .reAuthenticate, properties: props([.authenticationMethod("SCRAM-TEST"), .authenticationData(ByteBuffer(string: "again"))])))])
        let actions = exchange(&session, &server, starting: begin)
        #expect(actions.outcomes[2] == .answered(.auth(AuthPacket(reasonCode: .success, properties: props([.authenticationMethod("SCRAM-TEST")])))))
        #expect(session.isConnected)
    }

    @Test("re-authentication needs 5.0 and a method: refused otherwise")
    func reauthenticationRefused() {
        var session = connected5()
        #expect(session.start(.reauthenticate, id: 2, now: 0) == [.complete(2, .unsupported(reason: "re-authentication needs MQTT 5.0 and an authentication_method in the CONNECT [MQTT-4.12.1-1]"))])
    }
}
