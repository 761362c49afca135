import HarnessTestSupport
import IoTHubCore
@testable import IoTHubSimulation
@testable import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The hub on a real loopback socket, driven by a raw MQTT client.
@Suite struct SimulatedHubTests {
    final class EventLog: Sendable {
        let events = Mutex<[HubEvent]>([])
        func append(_ record: HubEventRecord) { events.withLock { $0.append(record.event) } }
        var all: [HubEvent] { events.withLock { $0 } }
    }

    /// A hub with its connections on its own loop or on another one: every test here runs
    /// with both placements.
    func withHub(_ placement: SimulatedHub.ConnectionPlacement, _ body: (SimulatedHub, Int, EventLog) async throws -> Void) async throws {
        let log = EventLog()
        let hub = SimulatedHub(
            configuration: HubConfiguration(hostName: HubFixtures.hostName),
            registry: DeviceRegistry(devices: [DeviceRecord(id: HubFixtures.deviceID, primaryKey: HubFixtures.key)]),
            group: MultiThreadedEventLoopGroup.singleton,
            clock: HubClock(start: HubFixtures.start),
            observer: { log.append($0) },
            connections: placement
        )
        if placement == .separateLoop { #expect(hub.connectionLoop !== hub.loop) }
        let port = try await hub.start(port: 0)
        #expect(port > 0)
        do {
            try await body(hub, port, log)
        } catch {
            await hub.stop()
            throw error
        }
        await hub.stop()
    }

    @Test("CONNECT, SUBSCRIBE and a C2D message over loopback", arguments: SimulatedHub.ConnectionPlacement.allCases)
    func roundTrip(placement: SimulatedHub.ConnectionPlacement) async throws {
        try await withHub(placement) { hub, port, log in
            let client = try await MQTTTestClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
            try await client.send(.connect(HubFixtures.connect()))
            #expect(await client.receive() == .connack(ConnAckPacket(returnCode: .accepted)))
            try await client.send(.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: HubFixtures.deviceboundFilter, qos: .atLeastOnce)])))
            #expect(await client.receive() == .suback(SubAckPacket(packetID: 1, returnCodes: [.granted(.atLeastOnce)])))
            let messageID = try await hub.sendCloudToDevice(CloudToDeviceMessage(payload: ByteBuffer(string: "on")), to: HubFixtures.deviceID)
            guard case .publish(let publish) = await client.receive() else {
                Issue.record("no PUBLISH")
                return
            }
            #expect(publish.payload == ByteBuffer(string: "on"))
            #expect(publish.topic.string.contains("%24.mid=\(messageID)"))
            try await client.send(.puback(packetID: try #require(publish.packetID)))
            try await Task.sleep(for: .milliseconds(50))
            #expect(try await hub.queueDepth(of: HubFixtures.deviceID) == 0)
            #expect(log.all.contains(.cloudToDeviceCompleted(HubFixtures.deviceID, messageID: messageID)))
            await client.close()
        }
    }

    @Test("a forged token gets CONNACK 5 and the connection is closed", arguments: SimulatedHub.ConnectionPlacement.allCases)
    func forgedToken(placement: SimulatedHub.ConnectionPlacement) async throws {
        try await withHub(placement) { _, port, _ in
            let client = try await MQTTTestClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
            try await client.send(.connect(HubFixtures.connect(key: DeviceKey(bytes: Array(repeating: 3, count: 32)))))
            #expect(await client.receive() == .connack(ConnAckPacket(returnCode: .notAuthorized)))
            #expect(await client.waitForClose())
        }
    }

    @Test("jumping the hub clock past the token's expiry and grace drops the device at once", arguments: SimulatedHub.ConnectionPlacement.allCases)
    func expireByClock(placement: SimulatedHub.ConnectionPlacement) async throws {
        try await withHub(placement) { hub, port, log in
            let client = try await MQTTTestClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
            try await client.send(.connect(HubFixtures.connect()))
            #expect(await client.receive() == .connack(ConnAckPacket(returnCode: .accepted)))
            // The token expires at start + 3600 s; the grace is 600 s. Pings keep the
            // connection inside the 1767 s keep-alive cap on the way.
            for _ in 0..<2 {
                try await hub.advanceClock(by: .seconds(1700))
                try await client.send(.pingreq)
                #expect(await client.receive() == .pingresp)
            }
            try await hub.advanceClock(by: .seconds(700))
            #expect(await client.receive(timeout: .milliseconds(50)) == nil)
            #expect(try await hub.isConnected(HubFixtures.deviceID))
            try await hub.advanceClock(by: .seconds(101))
            #expect(await client.waitForClose(timeout: .seconds(2)))
            #expect(await client.receive(timeout: .milliseconds(10)) == nil)
            #expect(log.all.contains { if case .disconnected(_, _, .tokenExpired) = $0 { true } else { false } })
        }
    }

    @Test("malformed bytes close the connection", arguments: SimulatedHub.ConnectionPlacement.allCases)
    func malformed(placement: SimulatedHub.ConnectionPlacement) async throws {
        try await withHub(placement) { _, port, log in
            let client = try await MQTTTestClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
            try await client.send(.connect(HubFixtures.connect()))
            #expect(await client.receive() == .connack(ConnAckPacket(returnCode: .accepted)))
            try await client.send(.pubrel(packetID: 1))
            #expect(await client.waitForClose())
            #expect(log.all.contains { if case .disconnected(_, _, .protocolViolation) = $0 { true } else { false } })
        }
    }

    @Test("a direct method over loopback: the device answers, the caller gets its status and payload", arguments: SimulatedHub.ConnectionPlacement.allCases)
    func directMethod(placement: SimulatedHub.ConnectionPlacement) async throws {
        try await withHub(placement) { hub, port, _ in
            let client = try await MQTTTestClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
            try await client.send(.connect(HubFixtures.connect()))
            #expect(await client.receive() == .connack(ConnAckPacket(returnCode: .accepted)))
            try await client.send(.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: topicFilter("$iothub/methods/POST/#"), qos: .atLeastOnce)])))
            #expect(await client.receive() == .suback(SubAckPacket(packetID: 1, returnCodes: [.granted(.atLeastOnce)])))
            async let result = hub.invokeMethod(DirectMethodRequest(methodName: "blink", payload: .integer(3)), on: HubFixtures.deviceID)
            guard case .publish(let request) = await client.receive() else {
                Issue.record("no method request")
                return
            }
            #expect(request.topic.string == "$iothub/methods/POST/blink/?$rid=1")
            try await client.send(.publish(PublishPacket(topic: topicName("$iothub/methods/res/200/?$rid=1"), payload: ByteBuffer(string: "\"done\""))))
            #expect(try await result == .response(status: 200, payload: .string("done")))
            await client.close()
            while try await hub.isConnected(HubFixtures.deviceID) { try await Task.sleep(for: .milliseconds(1)) }
            #expect(try await hub.invokeMethod(DirectMethodRequest(methodName: "blink"), on: HubFixtures.deviceID) == .deviceNotOnline)
        }
    }

    @Test("expireToken jumps the clock past the live token's expiry and grace: the device is dropped at once", arguments: SimulatedHub.ConnectionPlacement.allCases)
    func expireToken(placement: SimulatedHub.ConnectionPlacement) async throws {
        try await withHub(placement) { hub, port, log in
            #expect(try await hub.expireToken(of: HubFixtures.deviceID) == nil)
            let client = try await MQTTTestClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
            try await client.send(.connect(HubFixtures.connect(expiry: HubFixtures.start.unixSeconds + 100)))
            #expect(await client.receive() == .connack(ConnAckPacket(returnCode: .accepted)))
            #expect(try await hub.tokenExpiry(of: HubFixtures.deviceID) == HubTime(unixSeconds: HubFixtures.start.unixSeconds + 100))
            let jump = try #require(try await hub.expireToken(of: HubFixtures.deviceID))
            #expect(jump > .seconds(690) && jump <= .seconds(701))
            #expect(await client.waitForClose(timeout: .seconds(2)))
            #expect(log.all.contains { if case .disconnected(_, _, .tokenExpired) = $0 { true } else { false } })
            #expect(try await hub.tokenExpiry(of: HubFixtures.deviceID) == nil)
        }
    }

    @Test("revoking a connected device's keys drops it; disabling refuses its next CONNECT", arguments: SimulatedHub.ConnectionPlacement.allCases)
    func revokeAndDisable(placement: SimulatedHub.ConnectionPlacement) async throws {
        try await withHub(placement) { hub, port, _ in
            let client = try await MQTTTestClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
            try await client.send(.connect(HubFixtures.connect()))
            #expect(await client.receive() == .connack(ConnAckPacket(returnCode: .accepted)))
            let device = try await hub.regenerateKeys(of: HubFixtures.deviceID)
            #expect(await client.waitForClose(timeout: .seconds(2)))
            #expect(try await hub.device(HubFixtures.deviceID)?.primaryKey == device.primaryKey)
            try await hub.setStatus(.disabled, of: HubFixtures.deviceID)
            let again = try await MQTTTestClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
            try await again.send(.connect(HubFixtures.connect(key: device.primaryKey)))
            #expect(await again.receive() == .connack(ConnAckPacket(returnCode: .notAuthorized)))
            await #expect(throws: HubOperationError.deviceNotFound(HubFixtures.deviceIDLiteral("ghost"))) {
                try await hub.setStatus(.enabled, of: HubFixtures.deviceIDLiteral("ghost"))
            }
        }
    }

    @Test("an immediate C2D send is enqueued on the hub's loop, and a refusal becomes an event", arguments: SimulatedHub.ConnectionPlacement.allCases)
    func immediateSend(placement: SimulatedHub.ConnectionPlacement) async throws {
        try await withHub(placement) { hub, _, log in
            hub.sendCloudToDeviceImmediately(CloudToDeviceMessage(payload: ByteBuffer(string: "on"), messageID: "now"), to: HubFixtures.deviceID)
            hub.sendCloudToDeviceImmediately(CloudToDeviceMessage(payload: ByteBuffer(string: "x")), to: try DeviceID("nobody"))
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await hub.queueDepth(of: HubFixtures.deviceID) == 1)
            #expect(log.all.contains { if case .cloudToDeviceEnqueued(_, "now", 1) = $0 { true } else { false } })
            #expect(log.all.contains { if case .cloudToDeviceRejected(let id, let reason) = $0 { id.string == "nobody" && reason.contains("not registered") } else { false } })
        }
    }
}
