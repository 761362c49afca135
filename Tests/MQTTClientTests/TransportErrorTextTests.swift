import Glibc
import MQTTClient
import NIOCore
import NIOPosix
import Testing

/// Connection failures in plain words with what to check, never NIO's type names.
@Suite struct TransportErrorTextTests {
    /// A loopback port nothing listens on: bound, then closed.
    static func closedPort() throws -> Int {
        let socket = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
        let port = try #require(socket.localAddress?.port)
        try socket.close().wait()
        return port
    }

    /// The error NIO gives for a connect to `host:port`.
    static func connectError(host: String, port: Int) async throws -> any Error {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: host, port: port).get()
            try await channel.close()
        } catch {
            return error
        }
        throw ConnectedAnyway()
    }

    struct ConnectedAnyway: Error {}

    @Test("a refused connection names the address and asks whether the broker runs")
    func refused() async throws {
        let port = try Self.closedPort()
        let error = try await Self.connectError(host: "127.0.0.1", port: port)
        #expect(TransportErrorText.describe(error) == "connection to 127.0.0.1:\(port) refused: is the broker running?")
        #expect(TransportErrorText.describe(error, peer: "hub") == "connection to 127.0.0.1:\(port) refused: is the hub running?")
    }

    @Test("a host name that does not resolve says so, without NIO's type names")
    func unknownHost() async throws {
        let error = try await Self.connectError(host: "no-such-host.invalid", port: 1883)
        let text = TransportErrorText.describe(error)
        #expect(text.hasPrefix("cannot resolve the host name no-such-host.invalid ("), "\(text)")
        #expect(text.hasSuffix("): check the name, and that this machine's DNS works"), "\(text)")
        #expect(!text.contains("SocketAddressError") && !text.contains("NIOConnectionError"), "\(text)")
    }

    @Test("a connect timeout names the address and the time")
    func timedOut() {
        let text = TransportErrorText.describe(ChannelError.connectTimeout(.seconds(10)), address: "192.0.2.7:8883")
        #expect(text == "connection to 192.0.2.7:8883 timed out after 10 s: is the host up, and does a firewall let the port through?")
    }

    @Test("an unreachable host and a timed-out SYN in plain words", arguments: [
        (EHOSTUNREACH, "cannot reach 10.1.2.3:1883 (no route to host): is the address right, and the network up?"),
        (ENETUNREACH, "cannot reach 10.1.2.3:1883 (network is unreachable): is the address right, and the network up?"),
        (ETIMEDOUT, "connection to 10.1.2.3:1883 timed out: is the host up, and does a firewall let the port through?"),
    ])
    func unreachable(code: Int32, text: String) {
        #expect(TransportErrorText.describeConnect(IOError(errnoCode: code, reason: "connect"), address: "10.1.2.3:1883") == text)
    }
}
