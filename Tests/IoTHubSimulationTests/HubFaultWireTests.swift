import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// Hub faults on a real loopback socket, started through ``SimulatedHub``'s API or by a
/// device's fault-injection message.
@Suite struct HubFaultWireTests {
    final class EventLog: Sendable {
        let events = Mutex<[HubEvent]>([])
        func append(_ record: HubEventRecord) { events.withLock { $0.append(record.event) } }
        var all: [HubEvent] { events.withLock { $0 } }
    }

    let device = HubFixtures.deviceID

    func withHub(_ body: (SimulatedHub, Int, EventLog) async throws -> Void) async throws {
        let log = EventLog()
        let hub = SimulatedHub(
            configuration: HubConfiguration(hostName: HubFixtures.hostName),
            registry: DeviceRegistry(devices: [DeviceRecord(id: HubFixtures.deviceID, primaryKey: HubFixtures.key)]),
            group: MultiThreadedEventLoopGroup.singleton,
            clock: HubClock(start: HubFixtures.start),
            observer: { log.append($0) }
        )
        let port = try await hub.start(port: 0)
        do {
            try await body(hub, port, log)
        } catch {
            await hub.stop()
            throw error
        }
        await hub.stop()
    }

    func connected(port: Int, hub: SimulatedHub, subscribe: Bool) async throws -> MQTTTestClient {
        let client = try await MQTTTestClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
        let expiry = hub.clock.now().unixSeconds + 3600
        try await client.send(.connect(HubFixtures.connect(expiry: expiry, cleanSession: false)))
        guard case .connack(let connack) = await client.receive(), connack.returnCode == .accepted else {
            Issue.record("CONNECT was not accepted")
            return client
        }
        if subscribe {
            try await client.send(.subscribe(SubscribePacket(packetID: 1, subscriptions: [.init(filter: HubFixtures.deviceboundFilter, qos: .atLeastOnce)])))
            _ = await client.receive()
        }
        return client
    }

    @Test("restart: the device is dropped, connections opened while the hub is down are closed unanswered, and after it the device gets what was queued")
    func restart() async throws {
        try await withHub { hub, port, log in
            let client = try await connected(port: port, hub: hub, subscribe: true)
            try await hub.startFault(.restart, device: nil)
            #expect(await client.waitForClose())
            #expect(try await hub.activeFaults() == [HubFaultActivation(fault: .restart, device: nil)])
            try await hub.sendCloudToDevice(CloudToDeviceMessage(payload: ByteBuffer(string: "queued"), messageID: "q1"), to: device)

            let whileDown = try await MQTTTestClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
            try? await whileDown.send(.connect(HubFixtures.connect(expiry: hub.clock.now().unixSeconds + 3600, cleanSession: false)))
            #expect(await whileDown.receive(timeout: .seconds(2)) == nil)
            #expect(await whileDown.waitForClose())

            #expect(try await hub.endFault(.restart, device: nil))
            let back = try await MQTTTestClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
            try await back.send(.connect(HubFixtures.connect(expiry: hub.clock.now().unixSeconds + 3600, cleanSession: false)))
            #expect(await back.receive() == .connack(ConnAckPacket(sessionPresent: true, returnCode: .accepted)))
            guard case .publish(let publish) = await back.receive() else {
                Issue.record("the queued message was not delivered after the restart")
                return
            }
            #expect(publish.payload == ByteBuffer(string: "queued"))
            await back.close()
            let reasons = log.all.compactMap { if case .disconnected(_, _, let reason) = $0 { reason } else { nil } }
            let restart = HubFaultActivation(fault: .restart, device: nil)
            #expect(reasons.prefix(2) == [.fault(restart, .dropped), .fault(restart, .closedWhileDown)])
            #expect(log.all.contains(.fault(.ended(restart))))
        }
    }

    @Test("throttle for 10 s of hub time: CONNACK 5 until advance_clock moves past it, then CONNACK 0")
    func throttleOnTheHubClock() async throws {
        try await withHub { hub, port, _ in
            try await hub.startFault(.throttle, device: device, duration: .seconds(10))
            let refused = try await MQTTTestClient.connect(port: port, group: MultiThreadedEventLoopGroup.singleton)
            try await refused.send(.connect(HubFixtures.connect(expiry: hub.clock.now().unixSeconds + 3600)))
            #expect(await refused.receive() == .connack(ConnAckPacket(returnCode: .notAuthorized)))
            #expect(await refused.waitForClose())
            try await hub.advanceClock(by: .seconds(10))
            #expect(try await hub.activeFaults().isEmpty)
            let client = try await connected(port: port, hub: hub, subscribe: false)
            await client.close()
        }
    }

    @Test("a KillTcp fault-injection message with no delay: the connection ends before any PUBACK, and the message is not telemetry")
    func killTcpOnTheWire() async throws {
        try await withHub { hub, port, log in
            let client = try await connected(port: port, hub: hub, subscribe: false)
            let topic = topicName("devices/esp8266/messages/events/AzIoTHub_FaultOperationType=KillTcp&AzIoTHub_FaultOperationCloseReason=boom")
            try await client.send(.publish(PublishPacket(topic: topic, payload: ByteBuffer(string: " "), qos: .atLeastOnce, packetID: 3)))
            #expect(await client.waitForClose())
            #expect(await client.receive(timeout: .milliseconds(100)) == nil)
            #expect(!log.all.contains { if case .telemetry = $0 { true } else { false } })
            #expect(log.all.contains { if case .disconnected(_, _, .fault(_, .dropped)) = $0 { true } else { false } })
        }
    }
}
