import HarnessTestSupport
import IoTHubCore
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import Testing

/// Device twin and direct methods in the pure machine, topic by topic as iothub-mqtt.md
/// documents them.
@Suite struct HubTwinAndMethodTests {
    let now = HubFixtures.start
    let device = HubFixtures.deviceID

    func connectedMachine(subscribing filters: [String]) -> HubStateMachine {
        var machine = HubFixtures.machine()
        _ = machine.connectionOpened(1, at: now)
        _ = machine.packetReceived(.connect(HubFixtures.connect()), on: 1, at: now)
        let subscriptions = filters.map { SubscribePacket.Subscription(filter: topicFilter($0), qos: .atLeastOnce) }
        _ = machine.packetReceived(.subscribe(SubscribePacket(packetID: 1, subscriptions: subscriptions)), on: 1, at: now)
        return machine
    }

    func publish(_ topic: String, _ body: String, qos: MQTTQoS = .atMostOnce, on machine: inout HubStateMachine) -> [HubStateMachine.Action] {
        let packet = PublishPacket(topic: topicName(topic), payload: ByteBuffer(string: body), qos: qos, packetID: qos == .atMostOnce ? nil : 7)
        return machine.packetReceived(.publish(packet), on: 1, at: now)
    }

    func published(_ actions: [HubStateMachine.Action]) -> [(topic: String, body: String, qos: MQTTQoS)] {
        actions.sentPackets.compactMap { packet in
            guard case .publish(let publish) = packet else { return nil }
            return (publish.topic.string, String(buffer: publish.payload), publish.qos)
        }
    }

    @Test("twin GET is answered 200 on $iothub/twin/res at QoS 0 with desired and reported $version")
    func twinGet() throws {
        var machine = connectedMachine(subscribing: ["$iothub/twin/res/#"])
        let actions = publish("$iothub/twin/GET/?$rid=42", "", qos: .atLeastOnce, on: &machine)
        #expect(actions.sentPackets.first == .puback(packetID: 7))
        let answer = try #require(published(actions).first)
        #expect(answer.topic == "$iothub/twin/res/200/?$rid=42")
        #expect(answer.qos == .atMostOnce)
        #expect(try JSONValue(parsing: Array(answer.body.utf8)) == .object(["desired": .object(["$version": .integer(1)]), "reported": .object(["$version": .integer(1)])]))
    }

    @Test("a reported PATCH is merged (null deletes) and answered 204 with the new $version; malformed JSON gets 400")
    func reportedPatch() throws {
        var machine = connectedMachine(subscribing: ["$iothub/twin/res/#"])
        let first = publish("$iothub/twin/PATCH/properties/reported/?$rid=1", #"{"led":"on","fw":{"v":1,"x":true}}"#, on: &machine)
        #expect(published(first).map(\.topic) == ["$iothub/twin/res/204/?$rid=1&$version=2"])
        #expect(first.events.contains(.twin(.reportedUpdated(device, version: 2))))
        let second = publish("$iothub/twin/PATCH/properties/reported/?$rid=2", #"{"fw":{"x":null},"led":null}"#, on: &machine)
        #expect(published(second).map(\.topic) == ["$iothub/twin/res/204/?$rid=2&$version=3"])
        let twin = try #require(machine.twin(of: device))
        #expect(twin.reported == ["fw": .object(["v": .integer(1)])])
        let bad = publish("$iothub/twin/PATCH/properties/reported/?$rid=3", "not json", on: &machine)
        #expect(published(bad).map(\.topic) == ["$iothub/twin/res/400/?$rid=3"])
        #expect(bad.closes.isEmpty)
        #expect(machine.twin(of: device)?.reportedVersion == 3)
    }

    @Test("desired changes are pushed at once to a subscribed, connected device, and not queued for an offline one")
    func desiredNotifications() throws {
        var machine = connectedMachine(subscribing: ["$iothub/twin/PATCH/properties/desired/#"])
        let updated = machine.updateTwin(of: device, desired: ["interval": .integer(5)], at: now)
        let update = try #require(updated)
        #expect(update.twin.desiredVersion == 2)
        let push = try #require(published(update.actions).first)
        #expect(push.topic == "$iothub/twin/PATCH/properties/desired/?$version=2")
        #expect(try JSONValue(parsing: Array(push.body.utf8)) == .object(["interval": .integer(5), "$version": .integer(2)]))
        _ = machine.connectionClosed(1, at: now)
        let offlineUpdate = machine.updateTwin(of: device, desired: ["interval": .integer(6)], at: now)
        let offline = try #require(offlineUpdate)
        #expect(offline.actions.sentPackets.isEmpty)
        _ = machine.connectionOpened(2, at: now)
        let reconnect = machine.packetReceived(.connect(HubFixtures.connect()), on: 2, at: now)
        #expect(reconnect.sentPackets == [.connack(ConnAckPacket(sessionPresent: true, returnCode: .accepted))])
    }

    @Test("twin and method topics without $rid, and unknown $iothub topics, close the connection")
    func badIoTHubTopics() {
        for topic in ["$iothub/twin/GET/", "$iothub/twin/GET/?rid=1", "$iothub/methods/res/abc/?$rid=1", "$iothub/unknown/?$rid=1", "$iothub/twin/PATCH/properties/desired/?$rid=1"] {
            var machine = connectedMachine(subscribing: [])
            #expect(publish(topic, "{}", on: &machine).closes == [1], "\(topic)")
        }
    }

    @Test("a method goes out at QoS 0 with a $rid, and the device's answer completes the call")
    func methodRoundTrip() throws {
        var machine = connectedMachine(subscribing: ["$iothub/methods/POST/#"])
        let invoke = machine.invokeMethod(DirectMethodRequest(methodName: "reboot", payload: .object(["delay": .integer(1)])), on: device, invocation: 9, at: now)
        let request = try #require(published(invoke).first)
        #expect(request.topic == "$iothub/methods/POST/reboot/?$rid=1")
        #expect(request.qos == .atMostOnce)
        #expect(request.body == #"{"delay":1}"#)
        let answer = publish("$iothub/methods/res/201/?$rid=1", #"{"ok":true}"#, on: &machine)
        #expect(answer.contains(.completeMethod(9, result: .response(status: 201, payload: .object(["ok": .bool(true)])))))
        // A second answer to the same $rid matches nothing.
        #expect(publish("$iothub/methods/res/200/?$rid=1", "", on: &machine).contains { if case .completeMethod = $0 { true } else { false } } == false)
    }

    @Test("an offline or unsubscribed device gets DeviceNotOnline at once; an unknown one DeviceNotFound")
    func methodOffline() {
        var machine = connectedMachine(subscribing: [])
        #expect(machine.invokeMethod(DirectMethodRequest(methodName: "m"), on: device, invocation: 1, at: now).contains(.completeMethod(1, result: .deviceNotOnline)))
        #expect(
            machine.invokeMethod(DirectMethodRequest(methodName: "m"), on: HubFixtures.deviceIDLiteral("ghost"), invocation: 2, at: now)
                == [.completeMethod(2, result: .deviceNotFound)]
        )
    }

    @Test("the response timeout ends a call with timedOut; a connect timeout waits for the device to subscribe")
    func methodTimeouts() throws {
        var machine = connectedMachine(subscribing: ["$iothub/methods/POST/#"])
        _ = machine.invokeMethod(DirectMethodRequest(methodName: "slow", responseTimeout: .seconds(5)), on: device, invocation: 1, at: now)
        #expect(machine.nextDeadline() == now + .seconds(5))
        #expect(machine.tick(at: now + .seconds(4)).contains { if case .completeMethod = $0 { true } else { false } } == false)
        #expect(machine.tick(at: now + .seconds(5)).contains(.completeMethod(1, result: .timedOut)))

        var waiting = connectedMachine(subscribing: [])
        let invoke = waiting.invokeMethod(DirectMethodRequest(methodName: "later", connectTimeout: .seconds(10)), on: device, invocation: 2, at: now)
        #expect(invoke.sentPackets.isEmpty)
        let subscribe = waiting.packetReceived(
            .subscribe(SubscribePacket(packetID: 2, subscriptions: [.init(filter: topicFilter("$iothub/methods/POST/#"), qos: .atMostOnce)])),
            on: 1,
            at: now + .seconds(3)
        )
        #expect(published(subscribe).map(\.topic) == ["$iothub/methods/POST/later/?$rid=1"])

        var never = connectedMachine(subscribing: [])
        _ = never.invokeMethod(DirectMethodRequest(methodName: "later", connectTimeout: .seconds(10)), on: device, invocation: 3, at: now)
        #expect(never.tick(at: now + .seconds(10)).contains(.completeMethod(3, result: .deviceNotOnline)))
    }

    @Test("method names and timeouts are checked against the documented limits")
    func methodValidation() {
        #expect(throws: DirectMethodError.invalidMethodName("a/b")) { try DirectMethodRequest(methodName: "a/b").validate() }
        #expect(throws: DirectMethodError.invalidMethodName("")) { try DirectMethodRequest(methodName: "").validate() }
        #expect(throws: DirectMethodError.self) { try DirectMethodRequest(methodName: "m", responseTimeout: .seconds(4)).validate() }
        #expect(throws: DirectMethodError.self) { try DirectMethodRequest(methodName: "m", connectTimeout: .seconds(301)).validate() }
        #expect(throws: Never.self) { try DirectMethodRequest(methodName: "reboot_now-2", responseTimeout: .seconds(300)).validate() }
    }
}
