import Foundation
import HarnessTestSupport
import MQTTCore
import NIOCore
import NIOPosix
import NetworkTap
import Synchronization
import Testing

/// MQTT 5.0 through the tap proxy: real Mosquitto clients (`-V mqttv5`) to a real Mosquitto,
/// the records decoded in the version the device's CONNECT named, both ways.
@Suite(.serialized) struct TapProxyVersion5Tests {
    typealias Records = TapProxyTests.Records

    /// A proxy in front of `upstreamPort` with a recording tap, listening on the returned port.
    static func startProxy(to upstreamPort: Int) async throws -> (TapProxy, Int, Records) {
        let records = Records()
        let proxy = TapProxy(
            upstreamHost: "127.0.0.1",
            upstreamPort: upstreamPort,
            group: MultiThreadedEventLoopGroup.singleton,
            tap: records,
            observer: { event in records.events.withLock { $0.append(event) } }
        )
        return (proxy, try await proxy.start(), records)
    }

    /// A proxy in front of `upstreamPort` with a recording tap, stopped after `body`.
    func withProxy(to upstreamPort: Int, _ body: (Int, Records) async throws -> Void) async throws {
        let (proxy, port, records) = try await Self.startProxy(to: upstreamPort)
        do {
            try await body(port, records)
        } catch {
            await proxy.stop()
            throw error
        }
        await proxy.stop()
    }

    static func tool(_ name: String) throws -> String {
        try ExternalTool.locate(name, package: "mosquitto-clients")
    }

    /// Waits until `records` holds a packet matching `matches` (at most 5 s).
    static func waitFor(_ records: Records, _ matches: (PacketRecord) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if records.all.contains(where: matches) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// The records of one connection, in order.
    static func connection(_ number: UInt64, in records: Records) -> [PacketRecord] {
        records.all.filter { $0.connection == number }
    }

    @Test("mosquitto_pub -V mqttv5 through the proxy: CONNECT, CONNACK, PUBLISH with its user property, PUBACK no_matching_subscribers, all decoded as 5.0")
    func publishVersion5() async throws {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        try await withProxy(to: broker.port) { port, records in
            let output = try await ExternalTool.run(
                try Self.tool("mosquitto_pub"),
                [
                    "-V", "mqttv5", "-h", "127.0.0.1", "-p", String(port), "-i", "tapped-v5", "-q", "1", "-t", "tap/v5", "-m", "hello five",
                    "-D", "CONNECT", "session-expiry-interval", "30",
                    "-D", "PUBLISH", "user-property", "trace-id", "abc-123",
                    "-D", "PUBLISH", "content-type", "text/plain",
                ],
                timeout: .seconds(20)
            )
            #expect(output.status == 0, "\(output.standardError)")
            #expect(await Self.waitFor(records) { $0.packet.type == .disconnect })
            let seen = Self.connection(1, in: records)
            #expect(seen.map(\.packet.type) == [.connect, .connack, .publish, .puback, .disconnect], "\(seen.map(\.packet.summary))")
            #expect(seen.map(\.direction) == [.outbound, .inbound, .outbound, .inbound, .outbound])
            guard seen.count == 5 else { return }
            guard case .connect(let connect) = seen[0].packet, case .publish(let publish) = seen[2].packet, case .puback(let puback) = seen[3].packet else {
                Issue.record("unexpected packets: \(seen.map(\.packet.summary))")
                return
            }
            #expect(connect.protocolLevel == 5)
            #expect(connect.properties.sessionExpiryInterval == 30)
            #expect(publish.properties.userProperties.map { "\($0.name)=\($0.value)" } == ["trace-id=abc-123"])
            #expect(publish.properties.first(.contentType) == .contentType("text/plain"))
            #expect(String(buffer: publish.payload) == "hello five", "a 5.0 PUBLISH read as 3.1.1 would take its properties for payload")
            // Nobody subscribes to tap/v5: Mosquitto says so in the PUBACK's reason code.
            #expect(puback.reasonCode == .noMatchingSubscribers)
            #expect(seen[3].packet.summary.contains("reason=0x10(no_matching_subscribers)"))
            #expect(seen.allSatisfy { $0.bytes.readableBytes == $0.size })
            #expect(!records.events.withLock { $0 }.contains { if case .malformed = $0 { true } else { false } })
        }
    }

    @Test("mosquitto_sub -V mqttv5 through the proxy receives a 5.0 PUBLISH with the publisher's user property; its SUBACK is decoded as 5.0")
    func subscribeVersion5() async throws {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        let (proxy, port, records) = try await Self.startProxy(to: broker.port)
        let tool = try Self.tool("mosquitto_sub")
        let arguments = [
            "-V", "mqttv5", "-h", "127.0.0.1", "-p", String(port), "-i", "tapped-sub", "-q", "1", "-t", "tap/#", "-C", "1", "-W", "15",
            "-D", "SUBSCRIBE", "user-property", "purpose", "tap-test",
        ]
        async let subscriber = ExternalTool.run(tool, arguments, timeout: .seconds(20))
        #expect(await Self.waitFor(records) { $0.packet.type == .suback })
        // Published straight to the broker, not through the proxy.
        let publisher = try await ExternalTool.run(
            try Self.tool("mosquitto_pub"),
            ["-V", "mqttv5", "-h", "127.0.0.1", "-p", String(broker.port), "-q", "1", "-t", "tap/sub", "-m", "to the device", "-D", "PUBLISH", "user-property", "origin", "cloud"],
            timeout: .seconds(20)
        )
        #expect(publisher.status == 0, "\(publisher.standardError)")
        let output = try await subscriber
        await proxy.stop()
        #expect(output.status == 0, "\(output.standardError)")
        #expect(output.standardOutput.contains("to the device"))
        let seen = records.all
        guard let subscribe = seen.first(where: { $0.packet.type == .subscribe }), let publish = seen.first(where: { $0.packet.type == .publish }) else {
            Issue.record("no SUBSCRIBE or PUBLISH recorded: \(seen.map(\.packet.summary))")
            return
        }
        #expect(subscribe.packet.properties.userProperties.map { "\($0.name)=\($0.value)" } == ["purpose=tap-test"])
        #expect(publish.direction == .inbound)
        guard case .publish(let message) = publish.packet else { return }
        #expect(message.properties.userProperties.map { "\($0.name)=\($0.value)" } == ["origin=cloud"])
        #expect(String(buffer: message.payload) == "to the device")
        guard case .suback(let suback) = seen.first(where: { $0.packet.type == .suback })?.packet else { return }
        #expect(suback.reasonCodes == [.grantedQoS1])
    }

    @Test("a 3.1.1 connection through the same proxy, after a 5.0 one, is still decoded as 3.1.1")
    func version311AfterVersion5() async throws {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        try await withProxy(to: broker.port) { port, records in
            let publish = try Self.tool("mosquitto_pub")
            for (version, message) in [("mqttv5", "five"), ("mqttv311", "three one one")] {
                let output = try await ExternalTool.run(
                    publish,
                    ["-V", version, "-h", "127.0.0.1", "-p", String(port), "-q", "1", "-t", "tap/mixed", "-m", message],
                    timeout: .seconds(20)
                )
                #expect(output.status == 0, "\(version): \(output.standardError)")
            }
            #expect(await Self.waitFor(records) { $0.connection == 2 && $0.packet.type == .disconnect })
            let second = Self.connection(2, in: records)
            #expect(second.map(\.packet.type) == [.connect, .connack, .publish, .puback, .disconnect], "\(second.map(\.packet.summary))")
            guard case .connect(let connect) = second.first?.packet,
                case .publish(let message) = second.first(where: { $0.packet.type == .publish })?.packet
            else { return }
            #expect(connect.protocolLevel == 4)
            // Read as 5.0, the topic's first payload byte would have been a property length.
            #expect(String(buffer: message.payload) == "three one one")
            #expect(message.properties.isEmpty)
            #expect(second.allSatisfy { $0.packet.properties.isEmpty && !$0.packet.summary.contains("reason=") })
        }
    }

    @Test("a device's malformed 5.0 packet (a property PUBLISH may not carry) is reported, passes through, and the proxy keeps working")
    func malformedFromDevice() async throws {
        let broker = try await Mosquitto.start()
        defer { broker.stop() }
        try await withProxy(to: broker.port) { port, records in
            let client = try await RawSocketClient.connect(port: port)
            // CONNECT MQTT/5 clean start, keepalive 60, no properties, client id "bad5".
            await client.write(Hex.bytes("10 11 00 04 4d 51 54 54 05 02 00 3c 00 00 04 62 61 64 35"))
            #expect(await client.waitForBytes(4, timeout: .seconds(5)))
            // PUBLISH QoS 0 to "a" with property 0x11 (session expiry interval): not allowed in PUBLISH.
            await client.write(Hex.bytes("30 0a 00 01 61 05 11 00 00 00 01 78"))
            #expect(await client.waitForClose(timeout: .seconds(5)), "Mosquitto closes on the malformed packet: the bytes went through")
            #expect(await Self.waitFor(records) { $0.packet.type == .connack })
            let malformed = records.events.withLock { $0 }.compactMap { event -> String? in
                if case .malformed(1, .outbound, let reason) = event { reason } else { nil }
            }
            #expect(malformed.count == 1, "\(records.events.withLock { $0 })")
            // Mosquitto may say why in a DISCONNECT; the PUBLISH itself is not recorded.
            #expect(Array(records.all.map(\.packet.type).prefix(2)) == [.connect, .connack])
            #expect(!records.all.contains { $0.packet.type == .publish })
            // The proxy still serves the next connection.
            let output = try await ExternalTool.run(try Self.tool("mosquitto_pub"), ["-V", "mqttv5", "-h", "127.0.0.1", "-p", String(port), "-t", "tap/after", "-m", "x"], timeout: .seconds(20))
            #expect(output.status == 0, "\(output.standardError)")
        }
    }

    @Test("a broker's malformed 5.0 answer (a CONNACK with an unknown property) is reported as bytes to the device, and reaches the device unchanged")
    func malformedFromBroker() async throws {
        // CONNACK 5.0: session present 0, success, properties of 2 bytes: 0x7F (no such property) 0x00.
        let reply = Hex.bytes("20 05 00 00 02 7f 00")
        let broker = try await ScriptedBroker.start(reply: reply)
        try await withProxy(to: broker.port) { port, records in
            let client = try await RawSocketClient.connect(port: port)
            await client.write(Hex.bytes("10 11 00 04 4d 51 54 54 05 02 00 3c 00 00 04 62 61 64 35"))
            #expect(await client.waitForBytes(reply.count, timeout: .seconds(5)))
            #expect(client.received == reply)
            try? await Task.sleep(for: .milliseconds(50))
            #expect(records.all.map(\.packet.type) == [.connect])
            #expect(records.events.withLock { $0 }.contains { if case .malformed(1, .inbound, _) = $0 { true } else { false } })
            await client.close()
        }
        try await broker.stop()
    }
}

/// A TCP server that answers the first bytes of every connection with fixed bytes: a broker
/// that misbehaves on purpose.
final class ScriptedBroker: Sendable {
    let port: Int
    private let channel: any Channel

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    final class Reply: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let bytes: [UInt8]
        let answered = Mutex(false)
        init(bytes: [UInt8]) { self.bytes = bytes }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !answered.withLock({ value in defer { value = true }; return value }) else { return }
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
        }
    }

    static func start(reply: [UInt8]) async throws -> ScriptedBroker {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture { try child.pipeline.syncOperations.addHandler(Reply(bytes: reply)) }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return ScriptedBroker(port: channel.localAddress?.port ?? 0, channel: channel)
    }

    func stop() async throws {
        try await channel.close()
    }
}
