import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The simulated hub stays an MQTT 3.1.1 server, as IoT Hub is (iothub-mqtt.md section 1,
/// "Protocol level"): an MQTT 5.0 CONNECT, however valid its credentials, gets CONNACK return
/// code 1 in 3.1.1 framing (`20 02 00 01`) and the connection closes [MQTT-3.1.2-2].
@Suite struct MQTT5ConnectOnTheWireTests {
    final class EventLog: Sendable {
        let events = Mutex<[HubEvent]>([])
        func append(_ record: HubEventRecord) { events.withLock { $0.append(record.event) } }
        var all: [HubEvent] { events.withLock { $0 } }
    }

    func withHub(_ body: (Int, EventLog) async throws -> Void) async throws {
        let log = EventLog()
        let hub = SimulatedHub(
            configuration: HubConfiguration(hostName: HubFixtures.hostName),
            registry: DeviceRegistry(devices: [DeviceRecord(id: HubFixtures.deviceID, primaryKey: HubFixtures.key)]),
            group: MultiThreadedEventLoopGroup.singleton,
            clock: HubClock(start: HubFixtures.start),
            observer: { log.append($0) }
        )
        let port = try await hub.start(port: 0)
        do { try await body(port, log) } catch {
            await hub.stop()
            throw error
        }
        await hub.stop()
    }

    /// A CONNECT laid out byte by byte as MQTT 5.0 section 3.1 gives it: protocol name, level
    /// 5, flags (clean start), keep alive 60, properties (Session Expiry Interval 3600, Receive
    /// Maximum 20), client id `esp8266`.
    static let handWritten = Hex.bytes(
        """
        10 1c
        0004 4d515454 05 02 003c
        08 11 00000e10 21 0014
        0007 65737038323636
        """
    )

    /// What the hub must answer: CONNACK, session present 0, return code 1.
    static let connAckOne: [UInt8] = [0x20, 0x02, 0x00, 0x01]

    @Test("a hand-written MQTT 5.0 CONNECT gets CONNACK 1 (20 02 00 01) and the close")
    func handWrittenConnect() async throws {
        #expect(Self.handWritten.count == 2 + 0x1C)
        try await withHub { port, log in
            let client = try await RawSocketClient.connect(port: port)
            await client.write(Self.handWritten)
            #expect(await client.waitForClose(timeout: .seconds(5)))
            #expect(client.received == Self.connAckOne, "received \(client.received)")
            #expect(log.all.contains { if case .connectionRefused(_, _, .unacceptableProtocolVersion, _) = $0 { true } else { false } })
        }
    }

    @Test("an MQTT 5.0 CONNECT with valid IoT Hub credentials, properties and a will with properties gets CONNACK 1 too")
    func credentialedConnect() async throws {
        var connect = HubFixtures.connect(level: 5)
        connect.properties = try MQTTProperties([.sessionExpiryInterval(3600), .receiveMaximum(10), .userProperty(name: "sdk", value: "c")])
        connect.will = ApplicationMessage(
            topic: try TopicName("devices/esp8266/messages/events/"),
            payload: ByteBuffer(string: "gone"),
            qos: .atLeastOnce,
            properties: try MQTTProperties([.willDelayInterval(5), .contentType("text/plain")])
        )
        let bytes = try MQTTPacket.connect(connect).encoded(version: .v5)
        // The bytes are an MQTT 5.0 CONNECT; a 3.1.1 decoder keeps its fields undecoded.
        var copy = bytes
        #expect(try MQTTPacket.decode(from: &copy, version: .v5) == .connect(connect))
        copy = bytes
        #expect(try MQTTPacket.decode(from: &copy).flatMap { if case .connect(let c) = $0 { c.undecodedFields } else { nil } } != nil)
        try await withHub { port, log in
            let client = try await RawSocketClient.connect(port: port)
            await client.write(Array(bytes.readableBytesView))
            #expect(await client.waitForClose(timeout: .seconds(5)))
            #expect(client.received == Self.connAckOne, "received \(client.received)")
            #expect(log.all.contains { if case .connectionRefused(_, _, .unacceptableProtocolVersion, _) = $0 { true } else { false } })
            #expect(!log.all.contains { if case .connected = $0 { true } else { false } })
        }
    }
}
