import Foundation
import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
@testable import MQTTClient
import MQTTCore
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The cloud side's own MQTT client: its logic event by event, and against a real server.
@Suite struct CloudClientTests {
    @Test("QoS 1 and 2 publishes complete on PUBACK and PUBCOMP; received QoS 2 delivers once")
    func stateMachine() {
        var machine = CloudClientStateMachine()
        #expect(machine.connected(connack: ConnAckPacket(returnCode: .accepted)) == [.complete(token: 0, outcome: .done)])
        let publish = machine.publish(topicName("t"), payload: ByteBuffer(string: "x"), qos: .exactlyOnce, retain: false, token: 7)
        #expect(publish == [.send(.publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(string: "x"), qos: .exactlyOnce, packetID: 1)))])
        #expect(machine.received(.pubrec(packetID: 1)) == [.send(.pubrel(packetID: 1))])
        #expect(machine.received(.pubcomp(packetID: 1)) == [.complete(token: 7, outcome: .done)])
        let incoming = PublishPacket(topic: topicName("t"), payload: ByteBuffer(string: "y"), qos: .exactlyOnce, packetID: 9)
        #expect(machine.received(.publish(incoming)) == [.deliver(incoming), .send(.pubrec(packetID: 9))])
        var duplicate = incoming
        duplicate.dup = true
        #expect(machine.received(.publish(duplicate)) == [.send(.pubrec(packetID: 9))])
        #expect(machine.received(.pubrel(packetID: 9)) == [.send(.pubcomp(packetID: 9))])
        _ = machine.subscribe(topicFilter("a/#"), qos: .atLeastOnce, token: 8)
        #expect(machine.received(.suback(SubAckPacket(packetID: 2, returnCodes: [.failure]))) == [.complete(token: 8, outcome: .refused("SUBACK 0x80"))])
        #expect(machine.received(.pingreq) == [.close])
    }

    @Test("a refused CONNECT fails the connect, and a closed connection fails waiting operations")
    func refusals() {
        var machine = CloudClientStateMachine()
        #expect(machine.connected(connack: ConnAckPacket(returnCode: .notAuthorized)) == [.complete(token: 0, outcome: .refused("CONNACK 5 (not_authorized)")), .close])
        var open = CloudClientStateMachine()
        _ = open.connected(connack: ConnAckPacket(returnCode: .accepted))
        _ = open.publish(topicName("t"), payload: ByteBuffer(), qos: .atLeastOnce, retain: false, token: 3)
        #expect(open.closed().contains(.complete(token: 3, outcome: .refused("the connection closed"))))
    }

    @Test("against the simulated hub: subscribe, receive a C2D message, publish telemetry at QoS 1")
    func loopback() async throws {
        let id = try DeviceID("cloud")
        let key = DeviceKey(bytes: Array(repeating: 4, count: 32))
        let hub = SimulatedHub(
            configuration: HubConfiguration(hostName: "h.azure-devices.net"),
            registry: DeviceRegistry(devices: [DeviceRecord(id: id, primaryKey: key)]),
            group: MultiThreadedEventLoopGroup.singleton
        )
        let port = try await hub.start()
        let credentials = IoTHubCredentials.device(id, hostName: "h.azure-devices.net", key: key, expiry: Int64(Date().timeIntervalSince1970) + 3600)
        let received = Mutex<[String]>([])
        let client = try await CloudClient.connect(
            CloudClient.Options(host: "127.0.0.1", port: port, clientID: credentials.clientID, username: credentials.username, password: credentials.password),
            group: MultiThreadedEventLoopGroup.singleton
        ) { publish in received.withLock { $0.append(String(buffer: publish.payload)) } }
        try await client.subscribe(to: topicFilter("devices/cloud/messages/devicebound/#"), qos: .atLeastOnce)
        try await hub.sendCloudToDevice(CloudToDeviceMessage(payload: ByteBuffer(string: "hello")), to: id)
        try await client.publish(topicName("devices/cloud/messages/events/"), payload: ByteBuffer(string: "t"), qos: .atLeastOnce)
        try await Task.sleep(for: .milliseconds(50))
        #expect(received.withLock { $0 } == ["hello"])
        #expect(try await hub.queueDepth(of: id) == 0)
        await client.close()
        await hub.stop()
    }
}
