import Devices
import HarnessTestSupport
import IoTHubCore
import MQTTClientCore
import MQTTCore
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// A device kind that speaks MQTT 3.1.1 only and records what it was asked.
final class RecordingDevice: Device {
    let id = HubBench.id("recorder")
    let calls = Mutex<[String]>([])

    func connect(_ request: ConnectRequest) async throws -> OperationOutcome { .answered }
    func subscribe(to filter: TopicFilter, qos: MQTTQoS) async throws -> OperationOutcome {
        calls.withLock { $0.append("subscribe \(filter.string) \(qos.rawValue)") }
        return filter.string == "refused" ? .connectionEnded(reason: "gone") : .answered
    }
    func unsubscribe(from filter: TopicFilter) async throws -> OperationOutcome {
        calls.withLock { $0.append("unsubscribe \(filter.string)") }
        return .answered
    }
    func publish(_ topic: TopicName, payload: String, qos: MQTTQoS, retain: Bool) async throws -> OperationOutcome {
        calls.withLock { $0.append("publish \(topic.string) \(payload) \(qos.rawValue) \(retain)") }
        return .answered
    }
    func restart() async throws {}
    func disconnect() async throws { calls.withLock { $0.append("disconnect") } }
    func shutdown() async {}
}

/// The request-based device operations: 3.1.1-only kinds run requests without 5.0 content
/// with their own operations and refuse the rest; the generic client in 3.1.1 refuses 5.0
/// content too, and decodes the answer to a raw level-5 CONNECT as 5.0.
@Suite struct DeviceRequestTests {
    let properties = (try? MQTTProperties([.userProperty(name: "k", value: "v")])) ?? MQTTProperties()

    @Test("a 3.1.1-only device runs plain requests with its own operations, filter by filter")
    func plainRequestsRun() async throws {
        let device = RecordingDevice()
        let subscribe = SubscribeRequest(subscriptions: [.init(filter: topicFilter("a"), qos: .atLeastOnce), .init(filter: topicFilter("b"), qos: .atMostOnce)])
        #expect(try await device.subscribe(subscribe) == .answered)
        #expect(try await device.unsubscribe(UnsubscribeRequest(filters: [topicFilter("a")])) == .answered)
        #expect(try await device.publish(PublishRequest(topic: topicName("t"), payload: ByteBuffer(string: "x"), qos: .atLeastOnce, retain: true)) == .answered)
        try await device.disconnect(DisconnectRequest())
        #expect(device.calls.withLock { $0 } == ["subscribe a 1", "subscribe b 0", "unsubscribe a", "publish t x 1 true", "disconnect"])
        // The first outcome that is not an answer ends a multi-filter subscribe.
        let stops = SubscribeRequest(subscriptions: [.init(filter: topicFilter("refused"), qos: .atMostOnce), .init(filter: topicFilter("c"), qos: .atMostOnce)])
        #expect(try await device.subscribe(stops) == .connectionEnded(reason: "gone"))
        #expect(device.calls.withLock { $0.last } == "subscribe refused 0")
    }

    @Test("a 3.1.1-only device refuses 5.0 content with a plain reason, and does nothing")
    func v5ContentRefused() async throws {
        let device = RecordingDevice()
        let expected = DeviceError.unsupported(device.id, reason: "it speaks MQTT 3.1.1 only, and the subscribe carries MQTT 5.0 properties or subscription options")
        await #expect(throws: expected) {
            try await device.subscribe(SubscribeRequest(subscriptions: [.init(filter: topicFilter("a"), qos: .atMostOnce, noLocal: true)]))
        }
        await #expect(throws: DeviceError.self) { try await device.publish(PublishRequest(topic: topicName("t"), payload: ByteBuffer(string: "x"), properties: properties)) }
        await #expect(throws: DeviceError.self) { try await device.unsubscribe(UnsubscribeRequest(filters: [topicFilter("a")], properties: properties)) }
        await #expect(throws: DeviceError.self) { try await device.disconnect(DisconnectRequest(reasonCode: .disconnectWithWillMessage)) }
        await #expect(throws: DeviceError.self) { try await device.publish(PublishRequest(topic: topicName("t"), payload: ByteBuffer(bytes: [0xFF, 0xFE]))) }
        #expect(device.calls.withLock { $0 }.isEmpty)
    }

    @Test("a refusal names its codes; other outcomes are no refusal")
    func refusalText() {
        #expect(OperationOutcome.refused([.notAuthorized], in: .suback).refusal == "refused: not_authorized (0x87)")
        #expect(OperationOutcome.refused([.unspecifiedError, .quotaExceeded], in: .suback).refusal == "refused: unspecified_error (0x80), quota_exceeded (0x97)")
        let moved = (try? MQTTProperties([.reasonString("maintenance\n"), .serverReference("other:1883")])) ?? MQTTProperties()
        #expect(OperationOutcome.refused([.serverMoved], in: .connack, properties: moved).refusal == "refused: server_moved (0x9D), reason string 0x6d61696e74656e616e63650a; the broker redirected the client to \"other:1883\" (not followed)")
        #expect(OperationOutcome.protocolViolation(reason: "PUBACK for QoS 2").refusal == nil)
        #expect(OperationOutcome.answered.refusal == nil)
    }
}

/// The generic client's version rules against a real Mosquitto.
@Suite(.serialized) struct GenericClientVersionTests {
    let group = MultiThreadedEventLoopGroup.singleton

    @Test("a 5.0 client refused by the broker: the connect's outcome names the CONNACK's reason")
    func refusedConnAck() async throws {
        let broker = try await Mosquitto.start(users: ["user": "secret"], group: group)
        defer { broker.stop() }
        let client = GenericClient(id: HubBench.id("c"), settings: GenericClientSettings(protocolVersion: .v5), group: group)
        defer { Task { await client.shutdown() } }
        let request = ConnectRequest(host: "127.0.0.1", port: broker.port, clientID: "c", username: "user", password: "wrong", cleanSession: true, keepAlive: 60)
        let answer = try await client.connectReportingConnAck(request)
        // Mosquitto 2.0.11 answers a wrong password with 0x87, not 0x86.
        #expect(answer.outcome.refusal == "refused: not_authorized (0x87)")
        #expect(answer.returnCode == .notAuthorized)
    }

    @Test("a 3.1.1 client refuses a connect or publish with 5.0 properties, with a plain reason")
    func v311RefusesProperties() async throws {
        let broker = try await Mosquitto.start(group: group)
        defer { broker.stop() }
        let packets = PacketLog()
        let client = GenericClient(id: HubBench.id("c"), group: group, tap: packets)
        defer { Task { await client.shutdown() } }
        var request = ConnectRequest(host: "127.0.0.1", port: broker.port, clientID: "c", cleanSession: true, keepAlive: 60)
        request.properties = (try? MQTTProperties([.sessionExpiryInterval(60)])) ?? MQTTProperties()
        #expect(try await client.connect(request) == .unsupported(reason: "the CONNECT carries MQTT 5.0 properties (session_expiry_interval=60), and the client speaks MQTT 3.1.1"))
        request.properties = .none
        #expect(try await client.connect(request) == .answered)
        let publish = PublishRequest(topic: topicName("t"), payload: ByteBuffer(string: "x"), properties: (try? MQTTProperties([.contentType("a")])) ?? MQTTProperties())
        #expect(try await client.publish(publish) == .unsupported(reason: "the PUBLISH carries MQTT 5.0 properties (content_type=a), and the client speaks MQTT 3.1.1"))
        #expect(!packets.all.contains { $0.packet.type == .publish })
    }

    @Test("a 3.1.1 client's raw level-5 CONNECT: the broker's 5.0 CONNACK is decoded as 5.0, not as a malformed 3.1.1 one")
    func rawV5Connect() async throws {
        let broker = try await Mosquitto.start(group: group)
        defer { broker.stop() }
        let packets = PacketLog()
        let events = EventLog()
        let client = GenericClient(id: HubBench.id("c"), group: group, observer: events.observer, tap: packets)
        defer { Task { await client.shutdown() } }
        let request = ConnectRequest(host: "127.0.0.1", port: broker.port, clientID: "raw", cleanSession: true, keepAlive: 60)
        // CONNECT, MQTT level 5, clean start, keep alive 60, no properties, client id "raw".
        let connect = ByteBuffer(bytes: [0x10, 0x10, 0x00, 0x04, 0x4D, 0x51, 0x54, 0x54, 0x05, 0x02, 0x00, 0x3C, 0x00, 0x00, 0x03, 0x72, 0x61, 0x77])
        #expect(try await client.sendBytes(connect, opening: request) == .answered)
        #expect(await eventually { packets.all.contains { $0.packet.type == .connack } })
        guard case .connack(let connack)? = packets.all.first(where: { $0.packet.type == .connack })?.packet else { return }
        #expect(connack.isAccepted)
        #expect(connack.properties.first(.topicAliasMaximum) != nil)
        #expect(!events.all.contains { if case .protocolViolation = $0 { true } else { false } })
    }
}
