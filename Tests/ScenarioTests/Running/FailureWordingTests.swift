import Foundation
import HarnessTestSupport
import NIOCore
import NIOPosix
import Scenario
import Testing

/// What a step says when its connection cannot be made: plain words, grammatical, with what to
/// check (the faults a new user met: NIO's internal text and "observed no the bytes to be written").
@Suite struct FailureWordingTests {
    let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton))

    static func closedPort() throws -> Int {
        let socket = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
        let port = try #require(socket.localAddress?.port)
        try socket.close().wait()
        return port
    }

    func failure(_ yaml: String, port: Int, step: Int = 0) async throws -> Failure {
        let options = LoadOptions(hubOverride: "mqtt://127.0.0.1:\(port)")
        let scenario = try ScenarioLoader.load(yaml: yaml, path: "wording.yaml", options: options)
        let result = await runner.run(scenario)
        guard case .failed(let failure) = result.steps[step].status else {
            Issue.record("step \(step + 1) did not fail: \(result.steps[step].status)")
            throw CancellationError()
        }
        return failure
    }

    @Test("connect with no broker listening: 'connection to host:port refused: is the broker running?'")
    func refusedConnect() async throws {
        let port = try Self.closedPort()
        let failure = try await failure("device: { id: d1, kind: client }\nsteps:\n  - connect: {}\n", port: port)
        #expect(failure.expected == "CONNACK")
        #expect(failure.observed == "no CONNACK: connection to 127.0.0.1:\(port) refused: is the broker running?")
    }

    @Test("a broker that closes before CONNACK (as a TLS port does with plain MQTT): the failure says what to check")
    func closedBeforeConnAck() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(CloseOnFirstBytes()) }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let port = try #require(server.localAddress?.port)
        let failure = try await failure("device: { id: d1, kind: client }\nsteps:\n  - connect: {}\n", port: port)
        #expect(failure.observed == "no CONNACK: the broker closed the connection before CONNACK: is it its MQTT port, with TLS (mqtts://) where it wants TLS?")
        // The same for a device that behaves like the seed (umqtt.simple).
        let seed = try await self.failure("device: { id: d1, profile: umqtt-simple }\nsteps:\n  - connect: {}\n", port: port)
        #expect(seed.observed == failure.observed)
        try await server.close()
    }

    @Test("send_bytes that cannot connect reads as English: 'expected the bytes written; observed none written: ...'")
    func refusedBytes() async throws {
        let port = try Self.closedPort()
        let failure = try await failure("device: { id: d1, kind: client }\nsteps:\n  - send_bytes: c000\n", port: port)
        #expect(failure.expected == "the bytes written")
        #expect(failure.observed == "none written: connection to 127.0.0.1:\(port) refused: is the broker running?")
        #expect(!failure.description.contains("no the"))
    }
}

/// Reads what arrives, then closes, as a TLS listener does with a plain MQTT CONNECT.
private final class CloseOnFirstBytes: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.close(promise: nil)
    }
}
