import HarnessTestSupport
import IoTHubCore
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import Testing

/// Session and C2D delivery rules beyond the basics in HubStateMachineTests.
@Suite struct HubDeliveryTests {
    let now = HubFixtures.start
    let device = HubFixtures.deviceID

    func connect(_ machine: inout HubStateMachine, connection: ConnectionID, cleanSession: Bool, at time: HubTime? = nil) -> [HubStateMachine.Action] {
        _ = machine.connectionOpened(connection, at: time ?? now)
        return machine.packetReceived(.connect(HubFixtures.connect(cleanSession: cleanSession)), on: connection, at: time ?? now)
    }

    func subscribe(_ machine: inout HubStateMachine, connection: ConnectionID, qos: MQTTQoS = .atLeastOnce) -> [HubStateMachine.Action] {
        machine.packetReceived(
            .subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: HubFixtures.deviceboundFilter, qos: qos)])),
            on: connection,
            at: now
        )
    }

    func publishes(_ actions: [HubStateMachine.Action]) -> [PublishPacket] {
        actions.sentPackets.compactMap { if case .publish(let publish) = $0 { publish } else { nil } }
    }

    @Test("clean session 1: no session present, and nothing is delivered until the device subscribes again")
    func cleanSession() throws {
        var machine = HubFixtures.machine()
        _ = connect(&machine, connection: 1, cleanSession: false)
        _ = subscribe(&machine, connection: 1)
        _ = machine.connectionClosed(1, at: now)
        _ = try machine.enqueue(CloudToDeviceMessage(payload: ByteBuffer(string: "on")), for: device, messageID: "m1", at: now)
        let reconnect = connect(&machine, connection: 2, cleanSession: true)
        #expect(reconnect.sentPackets == [.connack(ConnAckPacket(sessionPresent: false, returnCode: .accepted))])
        #expect(machine.queueDepth(of: device) == 1)
        let resubscribe = subscribe(&machine, connection: 2)
        #expect(publishes(resubscribe).map { String(buffer: $0.payload) } == ["on"])
    }

    @Test("a message redelivered more than the maximum delivery count is dead-lettered")
    func maximumDeliveryCount() throws {
        var machine = HubFixtures.machine(configuration: HubConfiguration(hostName: HubFixtures.hostName, c2dMaximumDeliveryCount: 3))
        _ = connect(&machine, connection: 1, cleanSession: false)
        _ = subscribe(&machine, connection: 1)
        let first = try machine.enqueue(CloudToDeviceMessage(payload: ByteBuffer(string: "on")), for: device, messageID: "m1", at: now)
        #expect(publishes(first).map(\.dup) == [false])
        var connection: ConnectionID = 1
        var duplicates: [Bool] = []
        for _ in 0..<3 {
            _ = machine.connectionClosed(connection, at: now)
            connection += 1
            let again = connect(&machine, connection: connection, cleanSession: false)
            duplicates += publishes(again).map(\.dup)
            if again.events.contains(.cloudToDeviceDeadLettered(device, messageID: "m1", reason: "delivery count exceeded")) {
                #expect(machine.queueDepth(of: device) == 0)
            }
        }
        #expect(duplicates == [true, true])
        #expect(machine.queueDepth(of: device) == 0)
    }

    @Test("an undelivered message whose time to live passes is dead-lettered at that moment")
    func timeToLive() throws {
        var machine = HubFixtures.machine()
        _ = try machine.enqueue(CloudToDeviceMessage(payload: ByteBuffer(string: "on"), timeToLive: .init(.seconds(60))), for: device, messageID: "m1", at: now)
        #expect(machine.nextDeadline() == now + .seconds(60))
        #expect(machine.tick(at: now + .seconds(59)).events.isEmpty)
        #expect(machine.tick(at: now + .seconds(60)).events == [.cloudToDeviceDeadLettered(device, messageID: "m1", reason: "expired")])
        // Without one, the hub's default (1 hour) applies.
        _ = try machine.enqueue(CloudToDeviceMessage(payload: ByteBuffer(string: "on")), for: device, messageID: "m2", at: now)
        #expect(machine.nextDeadline() == now + .seconds(3600))
    }

    @Test("the delivery topic carries the system properties in IoT Hub's order, then application properties")
    func propertyBag() throws {
        var machine = HubFixtures.machine()
        _ = connect(&machine, connection: 1, cleanSession: false)
        _ = subscribe(&machine, connection: 1, qos: .atMostOnce)
        let request = CloudToDeviceMessage(
            payload: ByteBuffer(string: "{}"),
            properties: ["color": "red", "flag": nil, "empty": ""],
            messageID: "m:1",
            correlationID: "c1",
            acknowledgement: .full,
            userID: "u",
            contentType: "application/json",
            contentEncoding: "utf-8",
            absoluteExpiry: HubTime(nanosecondsSince1970: 1_800_003_600_172_000_000)
        )
        let publish = try #require(publishes(try machine.enqueue(request, for: device, messageID: "ignored", at: now)).first)
        #expect(
            publish.topic.string
                == "devices/esp8266/messages/devicebound/%24.mid=m%3A1&%24.to=%2Fdevices%2Fesp8266%2Fmessages%2Fdevicebound&%24.cid=c1&%24.uid=u"
                + "&%24.ct=application%2Fjson&%24.ce=utf-8&%24.exp=2027-01-15T09%3A00%3A00.1720000Z&iothub-ack=full&color=red&flag&empty="
        )
        #expect(publish.qos == .atMostOnce)
        #expect(publish.packetID == nil)
        #expect(HubTime(nanosecondsSince1970: 1_595_686_465_172_000_000).iso8601 == "2020-07-25T14:14:25.1720000Z")
        #expect(HubTime(unixSeconds: 951_782_400).iso8601 == "2000-02-29T00:00:00.0000000Z")
    }

    @Test("D2C: the 256 KB limit counts body and properties; one byte over closes the connection")
    func telemetryLimit() {
        for (size, closes) in [(262_144 - 2, false), (262_144 - 1, true)] {
            var machine = HubFixtures.machine()
            _ = connect(&machine, connection: 1, cleanSession: false)
            let packet = PublishPacket(topic: topicName("devices/esp8266/messages/events/a=b"), payload: ByteBuffer(repeating: 0x41, count: size), qos: .atLeastOnce, packetID: 1)
            let actions = machine.packetReceived(.publish(packet), on: 1, at: now)
            #expect(actions.closes == (closes ? [1] : []), "\(size)")
        }
    }

    @Test("keep-alive: 1.5 times the client's value, any packet resets it, keep-alive 0 gets the 1767 s cap")
    func keepAlive() {
        var machine = HubFixtures.machine()
        _ = machine.connectionOpened(1, at: now)
        _ = machine.packetReceived(.connect(HubFixtures.connect(keepAlive: 60)), on: 1, at: now)
        _ = machine.packetReceived(.pingreq, on: 1, at: now + .seconds(80))
        #expect(machine.tick(at: now + .seconds(169)).closes.isEmpty)
        #expect(machine.tick(at: now + .seconds(170)).disconnectReasons == [.keepAliveTimeout(.seconds(90))])
        #expect(HubConfiguration().keepAliveTimeout(forKeepAlive: 0) == .seconds(1767))
        #expect(HubConfiguration().keepAliveTimeout(forKeepAlive: 1177) == .nanoseconds(1_765_500_000_000))
    }

    @Test("a connection that never sends CONNECT is closed after 30 s")
    func connectTimeout() {
        var machine = HubFixtures.machine()
        _ = machine.connectionOpened(1, at: now)
        #expect(machine.tick(at: now + .seconds(29)).closes.isEmpty)
        #expect(machine.tick(at: now + .seconds(30)).closes == [1])
    }
}
