import HarnessTestSupport
import MQTTClientCore
import MQTTCore
import NIOCore
import Testing

/// MQTT 5.0 topic aliases (section 3.3.2.3.4) both ways.
@Suite struct TopicAliasTests {
    func aliased(_ topic: TopicName, alias: UInt16) -> ApplicationMessage {
        ApplicationMessage(topic: topic, payload: ByteBuffer(string: "x"), properties: props([.topicAlias(alias)]))
    }

    @Test("outgoing: a topic with an alias maps it; then the alias alone (empty topic) is sent")
    func outgoingAlias() {
        var session = connected5(connack: [.topicAliasMaximum(2)])
        #expect(session.start(.publish(aliased(topicName("a/b"), alias: 2)), id: 2, now: 0).sentPackets.count == 1)
        let bare = session.start(.publish(aliased(.empty, alias: 2)), id: 3, now: 0)
        guard case .publish(let publish)? = bare.sentPackets.first else {
            Issue.record("nothing sent: \(bare)")
            return
        }
        #expect(publish.topic.string.isEmpty)
        #expect(publish.properties.topicAlias == 2)
    }

    @Test("outgoing: an alias above the broker's maximum, 0, or unmapped is refused and nothing is sent", arguments: [
        (UInt16(3), "a/b", "topic alias 3 is not allowed: the broker's topic_alias_maximum is 2 [MQTT-3.3.2-8]"),
        (UInt16(0), "a/b", "topic alias 0 is not allowed: the broker's topic_alias_maximum is 2 [MQTT-3.3.2-8]"),
        (UInt16(1), "", "topic alias 1 has no topic on this connection yet: publish it once with a topic name first"),
    ])
    func outgoingAliasRefused(alias: UInt16, topic: String, reason: String) {
        var session = connected5(connack: [.topicAliasMaximum(2)])
        let actions = session.start(.publish(aliased(topic.isEmpty ? .empty : topicName(topic), alias: alias)), id: 2, now: 0)
        #expect(actions.sentPackets.isEmpty)
        #expect(actions.outcomes[2] == .unsupported(reason: reason))
    }

    @Test("outgoing: an alias is mapped only by a publish that went out (one refused for its size maps nothing)")
    func aliasMappedWhenSent() {
        var session = connected5(connack: [.topicAliasMaximum(2), .maximumPacketSize(30)])
        let large = ApplicationMessage(topic: topicName("a/b"), payload: ByteBuffer(string: String(repeating: "x", count: 40)), properties: props([.topicAlias(1)]))
        #expect(session.start(.publish(large), id: 2, now: 0).sentPackets.isEmpty)
        let bare = session.start(.publish(aliased(.empty, alias: 1)), id: 3, now: 0)
        #expect(bare.sentPackets.isEmpty)
        #expect(bare.outcomes[3] == .unsupported(reason: "topic alias 1 has no topic on this connection yet: publish it once with a topic name first"))
    }

    @Test("an empty topic without an alias is refused in 5.0, and an empty topic at all in 3.1.1")
    func emptyTopicRefused() {
        var session = connected5()
        let bare = session.start(.publish(ApplicationMessage(topic: .empty, payload: ByteBuffer(string: "x"))), id: 2, now: 0)
        #expect(bare.sentPackets.isEmpty)
        #expect(bare.outcomes[2].map { if case .unsupported = $0 { true } else { false } } == true)
        var old = connectedSession()
        let actions = old.start(.publish(ApplicationMessage(topic: .empty, payload: ByteBuffer(string: "x"))), id: 2, now: 0)
        #expect(actions == [.complete(2, .unsupported(reason: "a PUBLISH needs a topic name; only MQTT 5.0 may leave it empty for a topic alias [MQTT-4.7.3-1]"))])
    }

    @Test("outgoing: a broker that announced no topic alias maximum takes no alias")
    func noServerAliases() {
        var session = connected5()
        #expect(session.start(.publish(aliased(topicName("a"), alias: 1)), id: 2, now: 0).outcomes[2] == .unsupported(reason: "topic alias 1 is not allowed: the broker's topic_alias_maximum is 0 [MQTT-3.3.2-8]"))
    }

    @Test("incoming: the alias maps its topic; a PUBLISH with the alias alone is delivered with the topic")
    func incomingAlias() {
        var session = connected5(connect: [.topicAliasMaximum(5)])
        _ = session.packetReceived(.publish(incoming("x/y", properties: [.topicAlias(5)])), now: 0)
        let bare = PublishPacket(topic: .empty, payload: ByteBuffer(string: "p"), properties: props([.topicAlias(5)]))
        let actions = session.packetReceived(.publish(bare), now: 0)
        guard case .deliver(let delivered)? = actions.first else {
            Issue.record("not delivered: \(actions)")
            return
        }
        #expect(delivered.topic == topicName("x/y"))
    }

    @Test("incoming: an alias above the client's maximum, or one never mapped, is DISCONNECT 0x94", arguments: [
        incoming("x/y", properties: [.topicAlias(6)]),
        PublishPacket(topic: .empty, payload: ByteBuffer(string: "p"), properties: props([.topicAlias(4)])),
    ])
    func incomingAliasInvalid(publish: PublishPacket) {
        var session = connected5(connect: [.topicAliasMaximum(5)])
        let actions = session.packetReceived(.publish(publish), now: 0)
        #expect(actions.sentDisconnect?.reasonCode == .topicAliasInvalid)
        #expect(actions.closes)
        #expect(actions.violations.count == 1)
    }

    @Test("incoming: aliases do not outlive their connection")
    func aliasesPerConnection() {
        var session = connected5(connect: [.topicAliasMaximum(5)])
        _ = session.packetReceived(.publish(incoming("x/y", properties: [.topicAlias(1)])), now: 0)
        _ = session.transportClosed(now: 0)
        _ = session.start(.connect(ConnectOptions(clientID: "c", properties: props([.topicAliasMaximum(5)]))), id: 9, now: 0)
        _ = session.transportConnected(now: 0)
        _ = session.packetReceived(.connack(ConnAckPacket(reasonCode: .success)), now: 0)
        let bare = PublishPacket(topic: .empty, payload: ByteBuffer(string: "p"), properties: props([.topicAlias(1)]))
        #expect(session.packetReceived(.publish(bare), now: 0).sentDisconnect?.reasonCode == .topicAliasInvalid)
    }
}
