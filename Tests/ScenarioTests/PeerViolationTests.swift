import Devices
import Foundation
import NIOCore
import NIOPosix
import Scenario
import Testing

/// A broker that breaks the protocol, played by a scripted TCP peer: the failure names what the
/// broker did and the rule, at the step where it did it.
@Suite struct PeerViolationTests {
    /// Answers CONNECT with CONNACK 0, SUBSCRIBE with a SUBACK holding the reserved code 0x8F
    /// (MQTT 5's "Topic Filter invalid"), and a QoS 2 PUBLISH with PUBACK.
    final class MisbehavingBroker: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            // One small packet per read on loopback: type, one length byte, body.
            while let first = buffer.readInteger(as: UInt8.self), let length = buffer.readInteger(as: UInt8.self), let body = buffer.readBytes(length: Int(length)) {
                var reply: [UInt8] = []
                switch first >> 4 {
                case 1: reply = [0x20, 0x02, 0x00, 0x00]
                case 8: reply = [0x90, 0x03, body[0], body[1], 0x8F]
                case 3 where (first >> 1) & 0x03 == 2:
                    let topicLength = Int(body[0]) << 8 | Int(body[1])
                    reply = [0x40, 0x02, body[2 + topicLength], body[3 + topicLength]]
                default: break
                }
                if !reply.isEmpty { context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: reply)), promise: nil) }
            }
        }
    }

    func withBroker(_ body: (Int) async throws -> Void) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(MisbehavingBroker()) } }
            .bind(host: "127.0.0.1", port: 0).get()
        do {
            try await body(server.localAddress?.port ?? 0)
        } catch {
            try? await server.close()
            throw error
        }
        try await server.close()
    }

    func run(_ steps: String, port: Int) async throws -> ScenarioResult {
        let yaml = "hub: mqtt://127.0.0.1:\(port)\ndevice: { id: c, kind: client }\nsteps:\n  - connect: { clean_session: true, keepalive: 60 }\n" + steps
        return await ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton)).run(try ScenarioLoader.load(yaml: yaml, path: "violations.yaml"))
    }

    @Test("a reserved SUBACK return code fails the subscribe step with what the broker sent and the rule, and the client says it closed the connection")
    func reservedSubAckCode() async throws {
        try await withBroker { port in
            let result = try await run("  - subscribe: { topic: a/b, qos: 1 }\n    statements: [MQTT-3.9.3-2]\n  - expect: { disconnected: true, within: 1s }\n", port: port)
            guard case .failed(let failure) = result.steps[1].status else {
                Issue.record("not failed: \(result.steps[1].status)")
                return
            }
            #expect(failure.observed == "the broker sent a malformed packet: SUBACK return code 0x8f is reserved [MQTT-3.9.3-2]")
            #expect(StatementVerdicts([result]).statements(.failed) == ["MQTT-3.9.3-2"])
            var closes: [String] = []
            for entry in result.entries {
                if case .device(_, let event) = entry.event, case .disconnected(let reason) = event { closes.append(reason) }
            }
            #expect(closes == ["the client closed the connection because the broker sent a malformed packet: SUBACK return code 0x8f is reserved [MQTT-3.9.3-2]"])
        }
    }

    @Test("a PUBACK answering a QoS 2 PUBLISH fails the publish step at once, not later as a missing PUBCOMP")
    func pubAckForQoS2() async throws {
        try await withBroker { port in
            let result = try await run("  - publish: { payload: x, topic: a/b, qos: 2 }\n    statements: [MQTT-4.3.3-2]\n", port: port)
            guard case .failed(let failure) = result.steps[1].status else {
                Issue.record("not failed: \(result.steps[1].status)")
                return
            }
            #expect(failure.observed == "the broker answered the QoS 2 PUBLISH (packet id 1) with PUBACK instead of PUBREC [MQTT-4.3.3-2] [MQTT-3.3.4-1]")
            #expect(result.steps[1].duration < .seconds(1))
        }
    }
}
