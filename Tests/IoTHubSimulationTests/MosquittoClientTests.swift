import Foundation
import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// Mosquitto's command line clients (Debian package mosquitto-clients) as devices of the
/// simulated hub over TLS with SAS credentials and the hub's CA; and the negative cases, each
/// with the answer the real hub gives.
@Suite struct MosquittoClientTests {
    static let host = HubFixtures.hostName
    static let username = "\(host)/esp8266/?api-version=2021-04-12"

    final class Events: Sendable {
        private let records = Mutex<[HubEventRecord]>([])
        func append(_ record: HubEventRecord) { records.withLock { $0.append(record) } }
        var all: [HubEvent] { records.withLock { $0.map(\.event) } }

        /// The hub's monotonic time stamp of the first event matching `predicate`.
        func timestamp(of predicate: (HubEvent) -> Bool) -> UInt64? {
            records.withLock { $0.first { predicate($0.event) }?.timestamp }
        }

        func waitFor(timeout: Duration = .seconds(10), _ predicate: (HubEvent) -> Bool) async -> HubEvent? {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if let event = all.first(where: predicate) { return event }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return nil
        }
    }

    struct Hub: Sendable {
        var hub: SimulatedHub
        var port: Int
        var ca: String
        var events: Events

        func token(expiresIn seconds: Int64 = 3600, key: DeviceKey = HubFixtures.key, device: String = "esp8266") -> String {
            SASToken.make(resource: "\(MosquittoClientTests.host)/devices/\(device)", key: key, expiry: hub.now().unixSeconds + seconds).rendered
        }

        /// Runs a Mosquitto client with TLS against the hub; `arguments` come after the
        /// connection options.
        func run(_ tool: String, clientID: String = "esp8266", password: String? = nil, _ arguments: [String]) throws -> ExternalProcess {
            let path = try Repository.tool(tool, package: "mosquitto-clients")
            let connection = ["-h", "localhost", "-p", String(port), "--cafile", ca, "-i", clientID, "-u", MosquittoClientTests.username, "-P", password ?? token(), "-d"]
            // stdbuf: line-buffered output, so a client that keeps running still shows what it did.
            return try ExternalProcess(try Repository.tool("stdbuf", package: "coreutils"), ["-oL", path] + connection + arguments)
        }
    }

    func withHub(_ body: (Hub) async throws -> Void) async throws {
        let events = Events()
        let hub = SimulatedHub(
            configuration: HubConfiguration(hostName: Self.host),
            registry: DeviceRegistry(devices: [DeviceRecord(id: HubFixtures.deviceID, primaryKey: HubFixtures.key), DeviceRecord(id: HubFixtures.deviceIDLiteral("other"), primaryKey: .random())]),
            group: MultiThreadedEventLoopGroup.singleton,
            observer: { events.append($0) }
        )
        let endpoints = try await hub.start(HubListeners())
        let context = Hub(hub: hub, port: try #require(endpoints.tlsPort), ca: try #require(endpoints.caCertificatePath), events: events)
        do {
            try await body(context)
        } catch {
            await hub.stop()
            throw error
        }
        await hub.stop()
    }

    @Test("mosquitto_sub connects as the device and receives a C2D message at QoS 1 with its property bag")
    func subscribe() async throws {
        try await withHub { hub in
            let sub = try hub.run("mosquitto_sub", ["-V", "mqttv311", "-t", "devices/esp8266/messages/devicebound/#", "-q", "1", "-C", "1", "-v"])
            defer { sub.terminate() }
            let subscribed = await hub.events.waitFor { if case .subscribed = $0 { true } else { false } }
            #expect(subscribed == .subscribed(HubFixtures.deviceID, filter: HubFixtures.deviceboundFilter, grantedQoS: .atLeastOnce), "\(sub.transcript)")
            try await hub.hub.sendCloudToDevice(CloudToDeviceMessage(payload: ByteBuffer(string: "on"), properties: ["color": "red"], messageID: "m1"), to: HubFixtures.deviceID)
            #expect(await sub.wait(timeout: .seconds(10)) == 0, "\(sub.transcript)")
            #expect(sub.output.contains("devices/esp8266/messages/devicebound/%24.mid=m1&%24.to=%2Fdevices%2Fesp8266%2Fmessages%2Fdevicebound&color=red on"), "\(sub.transcript)")
            #expect(await hub.events.waitFor { $0 == .cloudToDeviceCompleted(HubFixtures.deviceID, messageID: "m1") } != nil)
        }
    }

    @Test("mosquitto_pub sends telemetry at QoS 1 with a property bag, and RETAIN becomes mqtt-retain")
    func publish() async throws {
        try await withHub { hub in
            let pub = try hub.run("mosquitto_pub", ["-t", "devices/esp8266/messages/events/%24.ct=text%2Fplain&unit=C", "-m", "21.5", "-q", "1", "-r"])
            #expect(await pub.wait(timeout: .seconds(10)) == 0, "\(pub.transcript)")
            #expect(pub.output.contains { $0.contains("received PUBACK") }, "\(pub.transcript)")
            let telemetry = await hub.events.waitFor { if case .telemetry = $0 { true } else { false } }
            #expect(telemetry == .telemetry(HubFixtures.deviceID, properties: ["$.ct": "text/plain", "unit": "C", "mqtt-retain": "true"], payload: ByteBuffer(string: "21.5")))
        }
    }

    /// A negative case: what the client does, what it must see, and the hub's event.
    struct Refusal: Sendable, CustomTestStringConvertible {
        var name: String
        var arguments: @Sendable (Hub) throws -> ExternalProcess
        /// Text the client must print.
        var clientSays: String
        /// The hub event that shows its answer.
        var hubAnswer: @Sendable (HubEvent) -> Bool
        var testDescription: String { name }
    }

    static func refused(_ code: ConnectReturnCode) -> @Sendable (HubEvent) -> Bool {
        { if case .connectionRefused(_, _, code, _) = $0 { true } else { false } }
    }

    static func closed(_ detail: String) -> @Sendable (HubEvent) -> Bool {
        { if case .disconnected(_, _, .protocolViolation(let text)) = $0 { text.contains(detail) } else { false } }
    }

    static let events = ["-t", "devices/esp8266/messages/events/", "-m", "x", "-q", "1"]

    static let refusals: [Refusal] = [
        Refusal(name: "forged signature: CONNACK 5", arguments: { hub in
            try hub.run("mosquitto_pub", password: hub.token(key: DeviceKey(bytes: Array(repeating: 1, count: 32))), events)
        }, clientSays: "Connection Refused: not authorised", hubAnswer: refused(.notAuthorized)),
        Refusal(name: "expired token (beyond the 5-minute skew): CONNACK 5", arguments: { hub in
            try hub.run("mosquitto_pub", password: hub.token(expiresIn: -301), events)
        }, clientSays: "Connection Refused: not authorised", hubAnswer: refused(.notAuthorized)),
        Refusal(name: "token for another device: CONNACK 5", arguments: { hub in
            try hub.run("mosquitto_pub", password: hub.token(device: "other"), events)
        }, clientSays: "Connection Refused: not authorised", hubAnswer: refused(.notAuthorized)),
        Refusal(name: "wrong client id: CONNACK 5", arguments: { hub in
            try hub.run("mosquitto_pub", clientID: "other", events)
        }, clientSays: "Connection Refused: not authorised", hubAnswer: refused(.notAuthorized)),
        Refusal(name: "protocol level 3 (MQTT 3.1): CONNACK 1", arguments: { hub in
            try hub.run("mosquitto_pub", ["-V", "mqttv31"] + events)
        }, clientSays: "Connection Refused: unacceptable protocol version", hubAnswer: refused(.unacceptableProtocolVersion)),
        Refusal(name: "MQTT 5 CONNECT: CONNACK 1", arguments: { hub in
            try hub.run("mosquitto_pub", ["-V", "5"] + events)
        }, clientSays: "Unsupported Protocol Version", hubAnswer: refused(.unacceptableProtocolVersion)),
        Refusal(name: "QoS 2 PUBLISH: the hub closes the connection", arguments: { hub in
            try hub.run("mosquitto_pub", ["-t", "devices/esp8266/messages/events/", "-m", "x", "-q", "2"])
        }, clientSays: "sending PUBLISH", hubAnswer: closed("QoS 2 PUBLISH")),
        Refusal(name: "PUBLISH to a disallowed topic: the hub closes the connection", arguments: { hub in
            try hub.run("mosquitto_pub", ["-t", "devices/other/messages/events/", "-m", "x", "-q", "1"])
        }, clientSays: "sending PUBLISH", hubAnswer: closed("disallowed topic")),
        Refusal(name: "SUBSCRIBE to a disallowed filter: the hub closes, no SUBACK 0x80", arguments: { hub in
            try hub.run("mosquitto_sub", ["-t", "devices/+/messages/devicebound/#", "-q", "1"])
        }, clientSays: "sending SUBSCRIBE", hubAnswer: closed("disallowed filter")),
        Refusal(name: "a sixth subscription: the hub closes, no SUBACK", arguments: { hub in
            let filters = ["#", "devices/esp8266/messages/devicebound/#", "$iothub/twin/res/#", "$iothub/twin/PATCH/properties/desired/#", "$iothub/methods/POST/#", "devices/esp8266/messages/devicebound/x"]
            return try hub.run("mosquitto_sub", filters.flatMap { ["-t", $0] } + ["-q", "1"])
        }, clientSays: "sending SUBSCRIBE", hubAnswer: closed("SUBSCRIBE")),
        Refusal(name: "D2C over 256 KB: the hub closes the connection (MessageTooLarge)", arguments: { hub in
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("harness-d2c-\(UUID().uuidString).bin").path
            try Data(repeating: 0x41, count: 262_145).write(to: URL(fileURLWithPath: path))
            return try hub.run("mosquitto_pub", ["-t", "devices/esp8266/messages/events/", "-f", path, "-q", "1"])
        }, clientSays: "sending PUBLISH", hubAnswer: closed("MessageTooLarge")),
    ]

    @Test("negative cases get the real hub's answer", arguments: refusals)
    func negative(_ refusal: Refusal) async throws {
        try await withHub { hub in
            let client = try refusal.arguments(hub)
            defer { client.terminate() }
            let answer = await hub.events.waitFor(refusal.hubAnswer)
            #expect(answer != nil, "no such hub event; events: \(hub.events.all)\n\(client.transcript)")
            let deadline = ContinuousClock.now + .seconds(5)
            while !client.output.contains(where: { $0.contains(refusal.clientSays) }), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(client.output.contains { $0.contains(refusal.clientSays) }, "\(client.transcript)")
            // The hub never acknowledges what it refused.
            #expect(!client.output.contains { $0.contains("received PUBACK") || $0.contains("received SUBACK") }, "\(client.transcript)")
        }
    }

    @Test("keep-alive silence: a TLS client with keep-alive 1 that sends nothing is dropped after 1.5 s, without a packet")
    func keepAliveSilence() async throws {
        try await withHub { hub in
            let client = try await MQTTTestClient.connect(port: hub.port, group: MultiThreadedEventLoopGroup.singleton, tls: .init(trustedCAPath: hub.ca))
            try await client.send(.connect(ConnectPacket(clientID: "esp8266", cleanSession: true, keepAlive: 1, username: Self.username, password: ByteBuffer(string: hub.token()))))
            #expect(await client.receive() == .connack(ConnAckPacket(returnCode: .accepted)))
            #expect(await client.waitForClose(timeout: .seconds(10)))
            // The client can see the close before the hub's event is recorded: wait for it.
            #expect(await hub.events.waitFor { if case .disconnected = $0 { true } else { false } } != nil)
            // Timed on the hub's own clock (the client's view is delayed by scheduling).
            let connected = try #require(hub.events.timestamp { if case .connected = $0 { true } else { false } })
            let dropped = try #require(hub.events.timestamp { if case .disconnected = $0 { true } else { false } })
            // The window runs from the CONNECT's arrival; `connected` is stamped after the SAS
            // check, which a loaded machine can delay by tens of milliseconds.
            #expect(dropped - connected >= 1_400_000_000, "dropped after \(Double(dropped - connected) / 1e9) s")
            #expect(dropped - connected < 3_000_000_000, "dropped after \(Double(dropped - connected) / 1e9) s")
            #expect(await client.receive(timeout: .milliseconds(10)) == nil)
            #expect(hub.events.all.contains(.disconnected(HubFixtures.deviceID, connection: 1, reason: .keepAliveTimeout(.milliseconds(1500)))))
        }
    }

    @Test("the 51st queued C2D message and a body over 64 KB are refused to the sender")
    func cloudToDeviceLimits() async throws {
        try await withHub { hub in
            for index in 0..<50 {
                try await hub.hub.sendCloudToDevice(CloudToDeviceMessage(payload: ByteBuffer(string: "\(index)")), to: HubFixtures.deviceID)
            }
            await #expect(throws: CloudToDeviceError.queueFull(HubFixtures.deviceID, limit: 50)) {
                try await hub.hub.sendCloudToDevice(CloudToDeviceMessage(payload: ByteBuffer(string: "51")), to: HubFixtures.deviceID)
            }
            await #expect(throws: CloudToDeviceError.messageTooLarge(size: 65_537, limit: 65_536)) {
                try await hub.hub.sendCloudToDevice(CloudToDeviceMessage(payload: ByteBuffer(repeating: 0, count: 65_537)), to: HubFixtures.deviceIDLiteral("other"))
            }
        }
    }
}
