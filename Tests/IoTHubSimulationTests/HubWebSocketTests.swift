import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import MQTTWebSocket
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization
import Testing

/// The hub's WebSocket listener on the wire, driven by a raw WebSocket client (NIO's frame
/// codec, frames written by hand) and by raw bytes for the HTTP requests it must refuse.
@Suite struct HubWebSocketTests {
    /// Keeps every frame the client receives, unmasked.
    final class Frames: Sendable {
        private let frames = Mutex<[(opcode: WebSocketOpcode, data: [UInt8])]>([])
        func append(_ frame: WebSocketFrame) {
            var data = frame.unmaskedData
            frames.withLock { $0.append((frame.opcode, data.readBytes(length: data.readableBytes) ?? [])) }
        }
        var all: [(opcode: WebSocketOpcode, data: [UInt8])] { frames.withLock { $0 } }
        /// The payload of every binary frame, joined: the MQTT byte stream from the hub.
        var binaryBytes: [UInt8] { all.filter { $0.opcode == .binary }.flatMap(\.data) }

        func wait(timeout: Duration = .seconds(5), until condition: (Frames) -> Bool) async -> Bool {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if condition(self) { return true }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return condition(self)
        }
    }

    final class FrameCollector: ChannelInboundHandler, Sendable {
        typealias InboundIn = WebSocketFrame
        let frames: Frames
        init(_ frames: Frames) { self.frames = frames }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { frames.append(unwrapInboundIn(data)) }
    }

    /// Reasons the hub gave for ending connections.
    final class Refusals: Sendable {
        private let reasons = Mutex<[String]>([])
        func append(_ record: HubEventRecord) {
            if case .disconnected(_, _, .webSocketRefused(let reason)) = record.event { reasons.withLock { $0.append(reason) } }
        }
        var all: [String] { reasons.withLock { $0 } }
        func wait(for text: String) async -> Bool {
            for _ in 0..<200 {
                if all.contains(where: { $0.contains(text) }) { return true }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return false
        }
    }

    func withHub(
        maximumPacketSize: Int = 262_144 + 4096,
        connectTimeout: Duration = .seconds(30),
        _ body: (SimulatedHub, Int, Refusals) async throws -> Void
    ) async throws {
        let refusals = Refusals()
        let hub = SimulatedHub(
            configuration: HubConfiguration(hostName: HubFixtures.hostName, maximumPacketSize: maximumPacketSize, connectTimeout: connectTimeout),
            registry: DeviceRegistry(devices: [DeviceRecord(id: HubFixtures.deviceID, primaryKey: HubFixtures.key)]),
            group: MultiThreadedEventLoopGroup.singleton,
            clock: HubClock(start: HubFixtures.start),
            observer: { refusals.append($0) }
        )
        let endpoints = try await hub.start(HubListeners(tls: nil, webSocketPort: 0))
        let port = try #require(endpoints.webSocketPort)
        do { try await body(hub, port, refusals) } catch {
            await hub.stop()
            throw error
        }
        await hub.stop()
    }

    /// Connects and upgrades; frames the hub sends land in `frames`.
    func upgradedClient(port: Int, frames: Frames) async throws -> any Channel {
        let upgraded = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
        let channel = try await ClientBootstrap(group: upgraded.futureResult.eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try WebSocketClientUpgrade.install(on: channel, host: HubFixtures.hostName, maximumFrameSize: 1 << 20) { channel in
                        try channel.pipeline.syncOperations.addHandler(FrameCollector(frames))
                        upgraded.succeed()
                    }
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        try await upgraded.futureResult.get()
        return channel
    }

    func send(_ opcode: WebSocketOpcode, _ bytes: [UInt8], on channel: any Channel) async throws {
        let frame = WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: ByteBuffer(bytes: bytes))
        try await channel.writeAndFlush(frame)
    }

    static let subscribeAndPing: [UInt8] = {
        let topic = Array("devices/esp8266/messages/devicebound/#".utf8)
        return [0x82, UInt8(2 + 2 + topic.count + 1), 0x00, 0x01, 0x00, UInt8(topic.count)] + topic + [0x01] + [0xC0, 0x00]
    }()

    @Test("a CONNECT split across two binary frames is one packet; SUBSCRIBE and PINGREQ in one frame are two; a ping gets its pong; the hub's frames are binary and unmasked")
    func framing() async throws {
        try await withHub { hub, port, _ in
            let frames = Frames()
            let channel = try await upgradedClient(port: port, frames: frames)
            var connect = try MQTTPacket.connect(HubFixtures.connect()).encoded()
            let bytes = connect.readBytes(length: connect.readableBytes) ?? []
            try await send(.binary, Array(bytes[..<5]), on: channel)
            try await Task.sleep(for: .milliseconds(50))
            #expect(frames.all.isEmpty, "the hub answered half a CONNECT")
            try await send(.binary, Array(bytes[5...]), on: channel)
            #expect(await frames.wait { $0.binaryBytes == [0x20, 0x02, 0x00, 0x00] }, "no CONNACK: \(frames.all)")
            #expect(try await hub.isConnected(HubFixtures.deviceID))

            try await send(.binary, Self.subscribeAndPing, on: channel)
            let expected: [UInt8] = [0x20, 0x02, 0x00, 0x00, 0x90, 0x03, 0x00, 0x01, 0x01, 0xD0, 0x00]
            #expect(await frames.wait { $0.binaryBytes == expected }, "got \(frames.binaryBytes)")

            try await send(.ping, Array("hello".utf8), on: channel)
            #expect(await frames.wait { $0.all.contains { $0.opcode == .pong && $0.data == Array("hello".utf8) } })

            // The same hub behind it: a C2D goes out in a binary frame.
            try await hub.sendCloudToDevice(CloudToDeviceMessage(payload: ByteBuffer(string: "on"), messageID: "ws-1"), to: HubFixtures.deviceID)
            #expect(await frames.wait { $0.binaryBytes.count > expected.count && $0.binaryBytes[expected.count] & 0xF0 == 0x30 })

            // A close is answered with a close, then the connection ends.
            try await send(.connectionClose, [0x03, 0xE8], on: channel)
            #expect(await frames.wait { $0.all.contains { $0.opcode == .connectionClose && $0.data.prefix(2) == [0x03, 0xE8] } })
            try await channel.closeFuture.get()
        }
    }

    @Test("a text frame is closed with 1003 and the reason reported; a frame over the hub's maximum packet size with 1009")
    func forbiddenFrames() async throws {
        try await withHub(maximumPacketSize: 4096) { _, port, refusals in
            let frames = Frames()
            let channel = try await upgradedClient(port: port, frames: frames)
            try await send(.text, Array("hello".utf8), on: channel)
            #expect(await frames.wait { $0.all.contains { $0.opcode == .connectionClose && $0.data.prefix(2) == [0x03, 0xEB] } })
            try await channel.closeFuture.get()
            #expect(await refusals.wait(for: "a text frame arrived; MQTT travels in binary frames (close code 1003)"), "\(refusals.all)")

            let big = Frames()
            let second = try await upgradedClient(port: port, frames: big)
            try await send(.binary, Array(repeating: 0x10, count: 5000), on: second)
            #expect(await big.wait { $0.all.contains { $0.opcode == .connectionClose && $0.data.prefix(2) == [0x03, 0xF1] } })
            try await second.closeFuture.get()
            #expect(await refusals.wait(for: "larger than the maximum of 4096 bytes (close code 1009)"), "\(refusals.all)")
        }
    }

    @Test(
        "requests the hub does not upgrade get a plain HTTP answer with the reason, are reported, and are closed",
        arguments: [
            ("GET /mqtt HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
             "HTTP/1.1 404", "nothing is served at /mqtt; MQTT over WebSockets is at /$iothub/websocket"),
            ("GET /$iothub/websocket HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
             "HTTP/1.1 400", "no WebSocket subprotocol offered; MQTT needs Sec-WebSocket-Protocol: mqtt"),
            ("GET /$iothub/websocket HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: amqp\r\n\r\n",
             "HTTP/1.1 400", "unknown WebSocket subprotocol amqp; MQTT needs Sec-WebSocket-Protocol: mqtt"),
            ("GET /$iothub/websocket HTTP/1.1\r\nHost: h\r\n\r\n",
             "HTTP/1.1 400", "/$iothub/websocket needs a WebSocket upgrade (Upgrade: websocket)"),
            ("POST /$iothub/websocket HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
             "HTTP/1.1 405", "POST is not allowed on /$iothub/websocket; a WebSocket upgrade is a GET"),
            ("\u{10}\u{20}MQTT-not-HTTP\r\n\r\n",
             "HTTP/1.1 400", "the request is not valid HTTP/1.1"),
        ]
    )
    func refusedUpgrades(request: String, statusLine: String, reason: String) async throws {
        try await withHub { _, port, refusals in
            let client = try await RawSocketClient.connect(port: port)
            await client.write(request)
            #expect(await client.waitForClose(timeout: .seconds(5)), "the hub kept the connection open")
            let answer = client.receivedText
            #expect(answer.hasPrefix(statusLine), "\(answer)")
            #expect(answer.hasSuffix("\r\n\r\n\(reason)\n"), "\(answer)")
            #expect(await refusals.wait(for: reason), "\(refusals.all)")
        }
    }

    @Test("pre-CONNECT limits hold over WebSockets: a client stuck in the HTTP request is closed at the CONNECT timeout; a CONNECT announcing more than the CONNECT limit is closed")
    func preAuthenticationLimits() async throws {
        try await withHub(connectTimeout: .milliseconds(300)) { _, port, _ in
            let stuck = try await RawSocketClient.connect(port: port)
            await stuck.write("GET /$iothub/websocket HTTP/1.1\r\nHost: h\r\n")
            #expect(await stuck.waitForClose(timeout: .seconds(5)), "a half-sent upgrade request kept its connection")
        }
        try await withHub { _, port, _ in
            let frames = Frames()
            let channel = try await upgradedClient(port: port, frames: frames)
            // CONNECT announcing 266,236 bytes, then the start of it.
            try await send(.binary, Hex.bytes("10 fc9f10 0004 4d515454 04 c2 003c"), on: channel)
            try await channel.closeFuture.get()
            #expect(frames.binaryBytes.isEmpty)
        }
    }

    @Test("the client's upgrade reports a refusal with the hub's status and reason")
    func clientSeesRefusal() async throws {
        try await withHub { _, port, _ in
            let caught = ErrorCatcher.Refusals()
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try WebSocketClientUpgrade.install(on: channel, host: HubFixtures.hostName, path: "/mqtt", maximumFrameSize: 1 << 16) { _ in }
                        try channel.pipeline.syncOperations.addHandler(ErrorCatcher(caught))
                    }
                }
                .connect(host: "127.0.0.1", port: port)
                .get()
            try await channel.closeFuture.get()
            let errors = caught.all
            #expect(errors == [WebSocketUpgradeRefusal(status: 404, reason: "nothing is served at /mqtt; MQTT over WebSockets is at /$iothub/websocket")])
            #expect(errors.first?.description == "the WebSocket upgrade was refused with HTTP 404: nothing is served at /mqtt; MQTT over WebSockets is at /$iothub/websocket")
        }
    }

    /// Keeps the upgrade refusals that reach the end of the pipeline.
    final class ErrorCatcher: ChannelInboundHandler, Sendable {
        typealias InboundIn = Never
        final class Refusals: Sendable {
            private let list = Mutex<[WebSocketUpgradeRefusal]>([])
            func append(_ refusal: WebSocketUpgradeRefusal) { list.withLock { $0.append(refusal) } }
            var all: [WebSocketUpgradeRefusal] { list.withLock { $0 } }
        }
        let refusals: Refusals
        init(_ refusals: Refusals) { self.refusals = refusals }
        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            if let refusal = error as? WebSocketUpgradeRefusal { refusals.append(refusal) }
        }
    }
}
