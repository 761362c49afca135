import Foundation
import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
@testable import MQTTClient
import MQTTClientCore
import MQTTCore
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The cloud side's own MQTT client: its configuration of the client engine event by event,
/// and against a real server.
@Suite struct CloudClientTests {
    /// A cloud session (without keep-alive, so no timers) connected as operation 1.
    func connected() -> MQTTClientSession {
        var session = MQTTClientSession(configuration: CloudClient.configuration(keepAlive: 0))
        _ = session.start(.connect(ConnectOptions(clientID: "cloud")), id: 1, now: 0)
        _ = session.transportConnected(now: 0)
        let connack = ConnAckPacket(returnCode: .accepted)
        #expect(session.packetReceived(.connack(connack), now: 0) == [.report(.connAckReceived(connack)), .complete(1, .answered(.connack(connack)))])
        return session
    }

    @Test("QoS 1 and 2 publishes complete on PUBACK and PUBCOMP; received QoS 2 delivers once")
    func session() {
        var session = connected()
        let publish = session.start(.publish(ApplicationMessage(topic: topicName("t"), payload: ByteBuffer(string: "x"), qos: .exactlyOnce)), id: 7, now: 0)
        #expect(publish == [.send(.publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(string: "x"), qos: .exactlyOnce, packetID: 1)))])
        #expect(session.packetReceived(.pubrec(packetID: 1), now: 0) == [.send(.pubrel(packetID: 1))])
        #expect(session.packetReceived(.pubcomp(packetID: 1), now: 0) == [.complete(7, .answered(.pubcomp(packetID: 1)))])
        let incoming = PublishPacket(topic: topicName("t"), payload: ByteBuffer(string: "y"), qos: .exactlyOnce, packetID: 9)
        #expect(session.packetReceived(.publish(incoming), now: 0) == [.deliver(incoming), .send(.pubrec(packetID: 9))])
        var duplicate = incoming
        duplicate.dup = true
        #expect(session.packetReceived(.publish(duplicate), now: 0) == [.send(.pubrec(packetID: 9))])
        #expect(session.packetReceived(.pubrel(packetID: 9), now: 0) == [.send(.pubcomp(packetID: 9))])
        _ = session.start(.subscribe([.init(filter: topicFilter("a/#"), qos: .atLeastOnce)]), id: 8, now: 0)
        let refused = SubAckPacket(packetID: 2, returnCodes: [.failure])
        #expect(session.packetReceived(.suback(refused), now: 0) == [.report(.subAckReceived(refused)), .complete(8, .answered(.suback(refused)))])
        #expect(CloudClient.failure(of: .answered(.suback(refused))) == CloudClient.OperationError(description: "SUBACK 0x80"))
        // A packet only clients send: the broker broke the protocol, and the client closes.
        #expect(session.packetReceived(.pingreq, now: 0) == [.closeTransport])
    }

    @Test("several operations wait at once; a closed connection fails them all")
    func concurrentOperations() {
        var session = connected()
        let message = ApplicationMessage(topic: topicName("t"), payload: ByteBuffer(), qos: .atLeastOnce)
        _ = session.start(.publish(message), id: 3, now: 0)
        _ = session.start(.publish(message), id: 4, now: 0)
        let closed = session.transportClosed(now: 0)
        #expect(closed.contains(.complete(3, .connectionEnded(reason: "the broker closed the connection"))))
        #expect(closed.contains(.complete(4, .connectionEnded(reason: "the broker closed the connection"))))
    }

    @Test("pings every half keep-alive from CONNECT, whatever else it sends")
    func pings() {
        let second: Int64 = 1_000_000_000
        var session = MQTTClientSession(configuration: CloudClient.configuration(keepAlive: 60))
        _ = session.start(.connect(ConnectOptions(clientID: "cloud", keepAlive: 60)), id: 1, now: 0)
        _ = session.transportConnected(now: 0)
        _ = session.packetReceived(.connack(ConnAckPacket(returnCode: .accepted)), now: 0)
        #expect(session.nextDeadline == 30 * second)
        _ = session.start(.publish(ApplicationMessage(topic: topicName("t"), payload: ByteBuffer())), id: 2, now: 20 * second)
        #expect(session.tick(now: 30 * second) == [.send(.pingreq), .scheduleTick(at: 60 * second)])
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
        let endpoint = BrokerEndpoint(host: "127.0.0.1", port: port)
        let options = ConnectOptions(clientID: credentials.clientID, username: credentials.username, password: ByteBuffer(string: credentials.password))
        let client = try await CloudClient.connect(to: endpoint, options, group: MultiThreadedEventLoopGroup.singleton) { publish in received.withLock { $0.append(String(buffer: publish.payload)) } }
        try await client.subscribe(to: topicFilter("devices/cloud/messages/devicebound/#"), qos: .atLeastOnce)
        try await hub.sendCloudToDevice(CloudToDeviceMessage(payload: ByteBuffer(string: "hello")), to: id)
        try await client.publish(topicName("devices/cloud/messages/events/"), payload: ByteBuffer(string: "t"), qos: .atLeastOnce)
        try await Task.sleep(for: .milliseconds(50))
        #expect(received.withLock { $0 } == ["hello"])
        #expect(try await hub.queueDepth(of: id) == 0)
        await client.close()
        // A wrong password: the hub refuses the CONNECT, and so does the client.
        await #expect(throws: CloudClient.OperationError(description: "CONNACK 5 (not_authorized)")) {
            var wrong = options
            wrong.password = ByteBuffer(string: "wrong")
            _ = try await CloudClient.connect(to: endpoint, wrong, group: MultiThreadedEventLoopGroup.singleton)
        }
        await hub.stop()
    }

    @Test("against Mosquitto: a subscription the broker refuses fails with SUBACK 0x80")
    func refusedSubscription() async throws {
        let broker = try await Mosquitto.start(deniedSubscriptions: ["secret/#"])
        defer { broker.stop() }
        let cloud = try await CloudClient.connect(to: BrokerEndpoint(host: "127.0.0.1", port: broker.port), ConnectOptions(clientID: "cloud"), group: MultiThreadedEventLoopGroup.singleton)
        try await cloud.subscribe(to: topicFilter("open/#"), qos: .atLeastOnce)
        await #expect(throws: CloudClient.OperationError(description: "SUBACK 0x80")) {
            try await cloud.subscribe(to: topicFilter("secret/#"), qos: .atLeastOnce)
        }
        await cloud.close()
    }
}
