import Devices
import HarnessTestSupport
import IoTHubCore
import MQTTClientCore
import MQTTCore
import NIOCore
import NIOPosix
import Testing

/// The generic client speaking MQTT 5.0 against a real Mosquitto: properties, subscription
/// options, flow control, session expiry, will delay and the broker's DISCONNECT.
@Suite(.serialized) struct GenericClientMQTT5MosquittoTests {
    let group = MultiThreadedEventLoopGroup.singleton

    struct Client {
        var device: GenericClient
        var events: EventLog
        var packets: PacketLog
    }

    func client(_ id: String, will: ConnectPacket.Will? = nil, acknowledges: Bool = true) -> Client {
        let events = EventLog()
        let packets = PacketLog()
        let settings = GenericClientSettings(protocolVersion: .v5, will: will, acknowledgesMessages: acknowledges)
        let device = GenericClient(id: HubBench.id(id), settings: settings, group: group, observer: events.observer, tap: packets)
        return Client(device: device, events: events, packets: packets)
    }

    func request(_ broker: Mosquitto, _ clientID: String, cleanStart: Bool = true, properties: [MQTTProperty] = []) -> ConnectRequest {
        var request = ConnectRequest(host: "127.0.0.1", port: broker.port, clientID: clientID, cleanSession: cleanStart, keepAlive: 60)
        request.properties = props(properties)
        return request
    }

    func received(_ client: Client, payload: String) -> [PublishPacket] {
        client.packets.all.compactMap { record in
            guard record.direction == .inbound, case .publish(let publish) = record.packet, String(buffer: publish.payload) == payload else { return nil }
            return publish
        }
    }

    func publish(_ topic: String, _ payload: String, qos: MQTTQoS = .atLeastOnce, retain: Bool = false, properties: [MQTTProperty] = []) -> PublishRequest {
        PublishRequest(topic: topicName(topic), payload: ByteBuffer(string: payload), qos: qos, retain: retain, properties: props(properties))
    }

    func subscribe(_ filter: String, qos: MQTTQoS = .atLeastOnce, noLocal: Bool = false, retainHandling: SubscribePacket.RetainHandling = .sendOnSubscribe, properties: [MQTTProperty] = []) -> SubscribeRequest {
        SubscribeRequest(subscriptions: [.init(filter: topicFilter(filter), qos: qos, noLocal: noLocal, retainHandling: retainHandling)], properties: props(properties))
    }

    @Test("user properties, content type, response topic and correlation data arrive as published; the subscription identifier is delivered")
    func propertiesRoundTrip() async throws {
        let broker = try await Mosquitto.start(group: group)
        defer { broker.stop() }
        let alice = client("alice")
        defer { Task { await alice.device.shutdown() } }
        #expect(try await alice.device.connect(request(broker, "alice")) == .answered)
        #expect(try await alice.device.subscribe(subscribe("p/#", properties: [.subscriptionIdentifier(7)])) == .answered)
        let sent: [MQTTProperty] = [.userProperty(name: "k", value: "v"), .userProperty(name: "k", value: "v2"), .contentType("text/plain"), .responseTopic("r/1"), .correlationData(ByteBuffer(string: "c-1"))]
        #expect(try await alice.device.publish(publish("p/x", "with properties", properties: sent)) == .answered)
        #expect(await eventually { received(alice, payload: "with properties").count == 1 })
        let properties = received(alice, payload: "with properties").first?.properties ?? .none
        #expect(properties.userProperties.map { "\($0.name)=\($0.value)" } == ["k=v", "k=v2"])
        #expect(properties.subscriptionIdentifiers == [7])
        #expect(properties.first(.contentType) == .contentType("text/plain"))
        #expect(properties.first(.responseTopic) == .responseTopic("r/1"))
        #expect(properties.first(.correlationData) == .correlationData(ByteBuffer(string: "c-1")))
    }

    @Test("no local: the client's own publish is not sent back; another client's is")
    func noLocal() async throws {
        let broker = try await Mosquitto.start(group: group)
        defer { broker.stop() }
        let alice = client("alice")
        let bob = client("bob")
        defer { Task { await alice.device.shutdown(); await bob.device.shutdown() } }
        #expect(try await alice.device.connect(request(broker, "alice")) == .answered)
        #expect(try await bob.device.connect(request(broker, "bob")) == .answered)
        #expect(try await alice.device.subscribe(subscribe("n/#", noLocal: true)) == .answered)
        #expect(try await alice.device.publish(publish("n/x", "from alice")) == .answered)
        #expect(try await bob.device.publish(publish("n/x", "from bob")) == .answered)
        #expect(await eventually { received(alice, payload: "from bob").count == 1 })
        #expect(received(alice, payload: "from alice").isEmpty)
    }

    @Test("retain handling: 0 sends the retained message on subscribe, 2 does not")
    func retainHandling() async throws {
        let broker = try await Mosquitto.start(group: group)
        defer { broker.stop() }
        let alice = client("alice")
        let bob = client("bob")
        defer { Task { await alice.device.shutdown(); await bob.device.shutdown() } }
        #expect(try await alice.device.connect(request(broker, "alice")) == .answered)
        #expect(try await alice.device.publish(publish("r/x", "kept", retain: true)) == .answered)
        #expect(try await bob.device.connect(request(broker, "bob")) == .answered)
        #expect(try await bob.device.subscribe(subscribe("r/#", retainHandling: .doNotSend)) == .answered)
        #expect(try await bob.device.subscribe(subscribe("r/+", retainHandling: .sendOnSubscribe)) == .answered)
        #expect(await eventually { received(bob, payload: "kept").count == 1 })
        // Give a retained message for the first subscription time to arrive too: none does.
        try await Task.sleep(for: .milliseconds(300))
        #expect(received(bob, payload: "kept").count == 1)
    }

    @Test("a shared subscription shares the messages: each reaches one of the group's two members")
    func sharedSubscription() async throws {
        let broker = try await Mosquitto.start(group: group)
        defer { broker.stop() }
        let members = [client("m1"), client("m2")]
        let sender = client("sender")
        defer { Task { for member in members { await member.device.shutdown() }; await sender.device.shutdown() } }
        for (index, member) in members.enumerated() {
            #expect(try await member.device.connect(request(broker, "m\(index + 1)")) == .answered)
            #expect(try await member.device.subscribe(subscribe("$share/g/s/#")) == .answered)
        }
        #expect(try await sender.device.connect(request(broker, "sender")) == .answered)
        for number in 1...6 { #expect(try await sender.device.publish(publish("s/x", "m\(number)")) == .answered) }
        let total = { (1...6).map { number in members.map { received($0, payload: "m\(number)").count }.reduce(0, +) } }
        #expect(await eventually { total().allSatisfy { $0 >= 1 } })
        try await Task.sleep(for: .milliseconds(200))
        #expect(total() == [1, 1, 1, 1, 1, 1])
    }

    @Test("the broker's receive maximum: never more than 2 QoS 1 publishes unacknowledged, the rest queued and sent")
    func serverReceiveMaximum() async throws {
        let broker = try await Mosquitto.start(options: ["max_inflight_messages 2"], group: group)
        defer { broker.stop() }
        let alice = client("alice")
        defer { Task { await alice.device.shutdown() } }
        #expect(try await alice.device.connect(request(broker, "alice")) == .answered)
        #expect(await alice.device.connectionLimits()?.serverReceiveMaximum == 2)
        let device = alice.device
        let outcomes = try await withThrowingTaskGroup(of: OperationOutcome.self) { tasks in
            for number in 1...6 { tasks.addTask { try await device.publish(publish("f/x", "n\(number)", qos: .exactlyOnce)) } }
            return try await tasks.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes == Array(repeating: .answered, count: 6))
        var outstanding = 0
        var most = 0
        for record in alice.packets.all {
            switch (record.direction, record.packet) {
            case (.outbound, .publish): outstanding += 1
            case (.inbound, .pubcomp): outstanding -= 1
            default: break
            }
            most = max(most, outstanding)
        }
        #expect(most == 2)
    }

    @Test("the client's receive maximum: Mosquitto sends 2 unacknowledged messages and holds the rest")
    func clientReceiveMaximum() async throws {
        let broker = try await Mosquitto.start(group: group)
        defer { broker.stop() }
        let slow = client("slow", acknowledges: false)
        let sender = client("sender")
        defer { Task { await slow.device.shutdown(); await sender.device.shutdown() } }
        #expect(try await slow.device.connect(request(broker, "slow", properties: [.receiveMaximum(2)])) == .answered)
        #expect(try await slow.device.subscribe(subscribe("h/#")) == .answered)
        #expect(try await sender.device.connect(request(broker, "sender")) == .answered)
        for number in 1...5 { #expect(try await sender.device.publish(publish("h/x", "h\(number)")) == .answered) }
        #expect(await eventually { received(slow, payload: "h2").count == 1 })
        try await Task.sleep(for: .milliseconds(300))
        let arrived = slow.packets.all.filter { $0.direction == .inbound && $0.packet.type == .publish }.count
        #expect(arrived == 2)
        #expect(!slow.events.all.contains { if case .protocolViolation = $0 { true } else { false } })
    }

    @Test("session expiry with Clean Start 0: the session and a message published while away survive a reconnect")
    func sessionResumes() async throws {
        let broker = try await Mosquitto.start(group: group)
        defer { broker.stop() }
        let alice = client("alice")
        let sender = client("sender")
        defer { Task { await alice.device.shutdown(); await sender.device.shutdown() } }
        #expect(try await alice.device.connect(request(broker, "alice", properties: [.sessionExpiryInterval(300)])) == .answered)
        #expect(try await alice.device.subscribe(subscribe("e/#")) == .answered)
        try await alice.device.disconnect()
        #expect(try await sender.device.connect(request(broker, "sender")) == .answered)
        #expect(try await sender.device.publish(publish("e/x", "while away")) == .answered)
        #expect(try await alice.device.connect(request(broker, "alice", cleanStart: false, properties: [.sessionExpiryInterval(300)])) == .answered)
        #expect(alice.events.all.compactMap { if case .connAckReceived(let connack) = $0 { connack.sessionPresent } else { nil } } == [false, true])
        #expect(await eventually { received(alice, payload: "while away").count == 1 })
    }

    @Test("will delay interval: the will arrives after the delay, not at the drop")
    func willDelay() async throws {
        let broker = try await Mosquitto.start(group: group)
        defer { broker.stop() }
        let will = ConnectPacket.Will(topic: topicName("w/bob"), payload: ByteBuffer(string: "bob is gone"), qos: .atLeastOnce, properties: props([.willDelayInterval(2)]))
        let bob = client("bob", will: will)
        let watcher = client("watcher")
        defer { Task { await bob.device.shutdown(); await watcher.device.shutdown() } }
        #expect(try await watcher.device.connect(request(broker, "watcher")) == .answered)
        #expect(try await watcher.device.subscribe(subscribe("w/#")) == .answered)
        #expect(try await bob.device.connect(request(broker, "bob", properties: [.sessionExpiryInterval(60)])) == .answered)
        let dropped = ContinuousClock.now
        try await bob.device.restart()
        try await Task.sleep(for: .milliseconds(1200))
        #expect(received(watcher, payload: "bob is gone").isEmpty)
        #expect(await eventually(timeout: .seconds(8)) { received(watcher, payload: "bob is gone").count == 1 })
        #expect(ContinuousClock.now - dropped >= .milliseconds(1900))
    }

    @Test("the broker's DISCONNECT ends the session in words: a topic alias above Mosquitto's maximum gets topic_alias_invalid (0x94)")
    func serverDisconnect() async throws {
        let broker = try await Mosquitto.start(group: group)
        defer { broker.stop() }
        let alice = client("alice")
        defer { Task { await alice.device.shutdown() } }
        let connect = request(broker, "alice")
        #expect(try await alice.device.connect(connect) == .answered)
        // Past the engine (which refuses the alias): a raw PUBLISH to "a" with topic alias 200.
        let raw = ByteBuffer(bytes: [0x30, 0x09, 0x00, 0x01, 0x61, 0x03, 0x23, 0x00, 0xC8, 0x68, 0x69])
        #expect(try await alice.device.sendBytes(raw, opening: connect) == .answered)
        let event = await alice.events.wait { if case .disconnected = $0 { true } else { false } }
        #expect(event == .disconnected(reason: "the broker disconnected: topic_alias_invalid (0x94)"))
        #expect(alice.packets.all.contains { $0.direction == .inbound && $0.packet == .disconnect(DisconnectPacket(reasonCode: .topicAliasInvalid)) })
    }

    @Test("a second client taking the id: Mosquitto 2.0.11 closes the first connection without DISCONNECT 0x8E, and the client says the broker closed it")
    func sessionTakenOver() async throws {
        let broker = try await Mosquitto.start(group: group)
        defer { broker.stop() }
        let first = client("first")
        let second = client("second")
        defer { Task { await first.device.shutdown(); await second.device.shutdown() } }
        #expect(try await first.device.connect(request(broker, "same")) == .answered)
        #expect(try await second.device.connect(request(broker, "same")) == .answered)
        let event = await first.events.wait { if case .disconnected = $0 { true } else { false } }
        // MQTT-3.1.4-3 makes only the close a MUST; the DISCONNECT 0x8E before it is a "sends".
        #expect(event == .disconnected(reason: "the broker closed the connection"))
        #expect(!first.packets.all.contains { $0.direction == .inbound && $0.packet.type == .disconnect })
    }

    @Test("topic aliases against Mosquitto: the alias alone reaches subscribers with the full topic")
    func topicAlias() async throws {
        let broker = try await Mosquitto.start(group: group)
        defer { broker.stop() }
        let alice = client("alice")
        defer { Task { await alice.device.shutdown() } }
        #expect(try await alice.device.connect(request(broker, "alice")) == .answered)
        #expect(await alice.device.connectionLimits()?.serverTopicAliasMaximum ?? 0 > 0)
        #expect(try await alice.device.subscribe(subscribe("t/#")) == .answered)
        #expect(try await alice.device.publish(publish("t/long/name", "first", properties: [.topicAlias(1)])) == .answered)
        #expect(try await alice.device.publish(PublishRequest(topic: .empty, payload: ByteBuffer(string: "second"), qos: .atLeastOnce, properties: props([.topicAlias(1)]))) == .answered)
        #expect(await eventually { received(alice, payload: "second").count == 1 })
        #expect(received(alice, payload: "second").first?.topic.string == "t/long/name")
    }

    @Test("the broker's maximum packet size: a larger publish is refused with the reason and never sent; a smaller one goes")
    func serverMaximumPacketSize() async throws {
        let broker = try await Mosquitto.start(options: ["max_packet_size 100"], group: group)
        defer { broker.stop() }
        let alice = client("alice")
        defer { Task { await alice.device.shutdown() } }
        #expect(try await alice.device.connect(request(broker, "alice")) == .answered)
        #expect(await alice.device.connectionLimits()?.serverMaximumPacketSize == 100)
        let large = try await alice.device.publish(publish("m/x", String(repeating: "x", count: 200)))
        #expect(large == .unsupported(reason: "the PUBLISH is 211 bytes, above the broker's maximum_packet_size of 100 bytes [MQTT-3.1.2-24]"))
        #expect(try await alice.device.publish(publish("m/x", "small")) == .answered)
        #expect(alice.packets.all.filter { $0.direction == .outbound && $0.packet.type == .publish }.count == 1)
    }

    @Test("an empty client id: the broker's assigned client identifier is kept")
    func assignedClientIdentifier() async throws {
        let broker = try await Mosquitto.start(group: group)
        defer { broker.stop() }
        let anonymous = client("anonymous")
        defer { Task { await anonymous.device.shutdown() } }
        #expect(try await anonymous.device.connect(request(broker, "")) == .answered)
        let assigned = await anonymous.device.connectionLimits()?.assignedClientIdentifier
        #expect(assigned?.isEmpty == false)
    }

    @Test("a refused SUBACK makes the outcome a refusal naming the reason")
    func refusedSubscription() async throws {
        let broker = try await Mosquitto.start(deniedSubscriptions: ["secret/#"], group: group)
        defer { broker.stop() }
        let alice = client("alice")
        defer { Task { await alice.device.shutdown() } }
        #expect(try await alice.device.connect(request(broker, "alice")) == .answered)
        let outcome = try await alice.device.subscribe(subscribe("secret/#"))
        #expect(outcome.refusal == "refused: not_authorized (0x87)")
    }
}

/// Properties from a list; the tests' lists are always valid.
private func props(_ list: [MQTTProperty]) -> MQTTProperties {
    (try? MQTTProperties(list)) ?? MQTTProperties()
}
