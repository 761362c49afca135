import HarnessTestSupport
import MQTTClient
import MQTTClientCore
import MQTTCore
import NIOCore
import NIOPosix
import Testing

/// The one client driver over real sockets: connection numbers, TLS setup, token requests.
@Suite struct MQTTClientDriverTests {
    let loop = MultiThreadedEventLoopGroup.singleton.next()
    let accepted = MQTTClientSession.Outcome.answered(.connack(ConnAckPacket(returnCode: .accepted)))

    @Test("the tap numbers each connection, and a restart skips one, so late events of the dropped connection are told apart")
    func connectionNumbers() async throws {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        let tap = PacketRecorder()
        let connection = MQTTClientConnection(configuration: MQTTClientConfiguration(), settings: .init(tap: tap, firstConnection: 5), eventLoop: loop)
        let endpoint = BrokerEndpoint(host: "127.0.0.1", port: broker.port)
        #expect(await connection.perform(.connect(ConnectOptions(clientID: "numbers")), endpoint: endpoint) == accepted)
        await connection.restart()
        #expect(await connection.perform(.connect(ConnectOptions(clientID: "numbers")), endpoint: endpoint) == accepted)
        let connects = tap.sent.filter { $0.packet.type == .connect }.map(\.connection)
        #expect(connects == [5, 7])
        await connection.shutdown()
    }

    @Test("a TLS setup error (an unreadable CA file) fails the transport before anything opens")
    func tlsSetupError() async {
        let connection = MQTTClientConnection(configuration: MQTTClientConfiguration(), eventLoop: loop)
        let endpoint = BrokerEndpoint(host: "127.0.0.1", port: 1, tls: ClientTLS(caFile: "/no/such/ca.pem"))
        let outcome = await connection.perform(.connect(ConnectOptions(clientID: "tls")), endpoint: endpoint)
        guard case .connectionEnded(let reason) = outcome else {
            Issue.record("connected without a CA: \(outcome)")
            return
        }
        #expect(reason.hasPrefix("TLS: "), "\(reason)")
    }

    @Test("a program's token requests go to the settings' token source: its password goes into CONNECT, its failure ends the connect")
    func tokens() async throws {
        let broker = try await Mosquitto.start(users: ["device": "token-1"])
        defer { broker.stop() }
        let program = MQTTClientConfiguration(keepAlive: .off, program: ProgramPolicy(reconnect: .never, errorsStopProgram: false, tokens: TokenPolicy()))
        let endpoint = BrokerEndpoint(host: "127.0.0.1", port: broker.port)
        let options = ConnectOptions(clientID: "device", username: "device")
        let tap = PacketRecorder()
        let fetching = MQTTClientConnection(configuration: program, settings: .init(tap: tap, tokens: { ClientToken(password: "token-1", expiry: nil) }), eventLoop: loop)
        #expect(await fetching.perform(.connect(options), endpoint: endpoint) == accepted)
        guard case .connect(let connect)? = tap.sent.first?.packet else {
            Issue.record("no CONNECT")
            return
        }
        #expect(connect.passwordText == "token-1")
        await fetching.shutdown()

        struct Unavailable: Error, CustomStringConvertible {
            var description: String { "the token service is down" }
        }
        let failing = MQTTClientConnection(configuration: program, settings: .init(tokens: { throw Unavailable() }), eventLoop: loop)
        #expect(await failing.perform(.connect(options), endpoint: endpoint) == .connectionEnded(reason: "no token: the token service is down"))
    }
}
