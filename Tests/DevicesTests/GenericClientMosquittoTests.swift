import Devices
import HarnessTestSupport
import IoTHubCore
import MQTTCore
import NIOCore
import NIOPosix
import Testing

/// The generic client against a real Mosquitto: what the specification asks of both ends.
@Suite(.serialized) struct GenericClientMosquittoTests {
    let group = MultiThreadedEventLoopGroup.singleton

    struct Client {
        var device: GenericClient
        var events: EventLog
        var packets: PacketLog
    }

    func client(_ id: String, settings: GenericClientSettings = GenericClientSettings()) -> Client {
        let events = EventLog()
        let packets = PacketLog()
        let device = GenericClient(id: HubBench.id(id), settings: settings, group: group, observer: events.observer, tap: packets)
        return Client(device: device, events: events, packets: packets)
    }

    func request(_ broker: Mosquitto, clientID: String, cleanSession: Bool = true) -> ConnectRequest {
        ConnectRequest(host: "127.0.0.1", port: broker.port, clientID: clientID, cleanSession: cleanSession, keepAlive: 60)
    }

    func received(_ client: Client, payload: String) -> [PublishPacket] {
        client.packets.all.compactMap { record in
            guard record.direction == .inbound, case .publish(let publish) = record.packet, String(buffer: publish.payload) == payload else { return nil }
            return publish
        }
    }


    @Test("QoS 2 round trip: PUBLISH, PUBREC, PUBREL, PUBCOMP both ways, message delivered once")
    func qos2RoundTrip() async throws {
        let broker = try await Mosquitto.start(group: group)
        defer { broker.stop() }
        do {
            let alice = client("alice")
            defer { Task { await alice.device.shutdown() } }
            #expect(try await alice.device.connect(request(broker, clientID: "alice")) == .answered)
            #expect(try await alice.device.subscribe(to: try TopicFilter("q2/#"), qos: .exactlyOnce) == .answered)
            #expect(try await alice.device.publish(try TopicName("q2/x"), payload: "exactly once", qos: .exactlyOnce, retain: false) == .answered)
            #expect(await eventually { received(alice, payload: "exactly once").count == 1 })
            #expect(await eventually { alice.packets.all.contains { $0.direction == .outbound && $0.packet.type == .pubcomp } })
            let types = alice.packets.all.map { ($0.direction, $0.packet.type) }
            for expected in [(PacketDirection.outbound, MQTTPacketType.pubrel), (.inbound, .pubrec), (.inbound, .pubcomp), (.outbound, .pubrec), (.inbound, .pubrel)] {
                #expect(types.contains { $0 == expected }, "missing \(expected)")
            }
            #expect(received(alice, payload: "exactly once").first?.qos == .exactlyOnce)
        }
    }

    @Test("the will is published when the connection drops, not after DISCONNECT")
    func will() async throws {
        let broker = try await Mosquitto.start(group: group)
        defer { broker.stop() }
        do {
            let will = ConnectPacket.Will(topic: try TopicName("wills/bob"), payload: ByteBuffer(string: "bob is gone"), qos: .atLeastOnce)
            let bob = client("bob", settings: GenericClientSettings(will: will))
            let watcher = client("watcher")
            defer { Task { await bob.device.shutdown(); await watcher.device.shutdown() } }
            #expect(try await watcher.device.connect(request(broker, clientID: "watcher")) == .answered)
            #expect(try await watcher.device.subscribe(to: try TopicFilter("wills/#"), qos: .atLeastOnce) == .answered)
            #expect(try await bob.device.connect(request(broker, clientID: "bob")) == .answered)
            try await bob.device.disconnect()
            #expect(await bob.events.wait { if case .disconnected = $0 { true } else { false } } != nil)
            #expect(try await bob.device.connect(request(broker, clientID: "bob")) == .answered)
            // Nothing yet: the clean DISCONNECT discarded the first will.
            #expect(received(watcher, payload: "bob is gone").isEmpty)
            try await bob.device.restart()
            #expect(await eventually { received(watcher, payload: "bob is gone").count == 1 })
            #expect(received(watcher, payload: "bob is gone").first?.topic.string == "wills/bob")
        }
    }

    @Test("unacknowledged messages come again with DUP after a reconnect with clean session 0")
    func redelivery() async throws {
        let broker = try await Mosquitto.start(group: group)
        defer { broker.stop() }
        do {
            let carol = client("carol", settings: GenericClientSettings(acknowledgesMessages: false))
            let sender = client("sender")
            defer { Task { await carol.device.shutdown(); await sender.device.shutdown() } }
            #expect(try await carol.device.connect(request(broker, clientID: "carol", cleanSession: false)) == .answered)
            #expect(try await carol.device.subscribe(to: try TopicFilter("r/#"), qos: .atLeastOnce) == .answered)
            #expect(try await sender.device.connect(request(broker, clientID: "sender")) == .answered)
            #expect(try await sender.device.publish(try TopicName("r/1"), payload: "again", qos: .atLeastOnce, retain: false) == .answered)
            #expect(await eventually { received(carol, payload: "again").count == 1 })
            #expect(received(carol, payload: "again").first?.dup == false)
            #expect(!carol.packets.all.contains { $0.direction == .outbound && $0.packet.type == .puback })
            try await carol.device.restart()
            #expect(try await carol.device.connect(request(broker, clientID: "carol", cleanSession: false)) == .answered)
            #expect(await eventually { received(carol, payload: "again").count == 2 })
            #expect(received(carol, payload: "again").last?.dup == true)
        }
    }

    @Test("raw bytes: a malformed packet after a raw CONNECT makes Mosquitto close; exact bytes are reported")
    func rawBytes() async throws {
        let broker = try await Mosquitto.start(group: group)
        defer { broker.stop() }
        do {
            let raw = client("raw")
            defer { Task { await raw.device.shutdown() } }
            let connect: [UInt8] = [0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00]
            #expect(try await raw.device.sendBytes(ByteBuffer(bytes: connect), opening: request(broker, clientID: "ignored")) == .answered)
            #expect(await raw.events.wait { if case .bytesReceived(let bytes) = $0 { Array(bytes.readableBytesView) == [0x20, 0x02, 0x00, 0x00] } else { false } } != nil)
            // SUBSCRIBE with reserved flags 0000 [MQTT-3.8.1-1].
            #expect(try await raw.device.sendBytes(ByteBuffer(bytes: [0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00]), opening: request(broker, clientID: "ignored")) == .answered)
            #expect(await raw.events.wait { if case .disconnected = $0 { true } else { false } } != nil)
            // No CONNECT went out from the client's codec.
            #expect(!raw.packets.all.contains { $0.direction == .outbound })
        }
    }
}
