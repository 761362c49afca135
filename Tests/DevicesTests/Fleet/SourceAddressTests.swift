import Devices
import HarnessTestSupport
import IoTHubCore
import MQTTCore
import NIOPosix
import Testing

/// A simulated device bound to a source address, as a spread fleet's members are, seen by a
/// real broker.
@Suite(.serialized) struct SourceAddressTests {
    let group = MultiThreadedEventLoopGroup.singleton

    func device(_ id: String, source: String?, events: EventLog = EventLog()) -> SimulatedDevice {
        SimulatedDevice(id: HubBench.id(id), profile: .umqttSimple, group: group, observer: events.observer, sourceAddress: source)
    }

    func request(_ broker: Mosquitto, clientID: String) -> ConnectRequest {
        ConnectRequest(host: "127.0.0.1", port: broker.port, clientID: clientID, cleanSession: true, keepAlive: 60)
    }

    @Test("devices bound to 127.0.0.2 and 127.0.0.3 are seen by Mosquitto from those addresses")
    func seenFromSource() async throws {
        let broker = try await Mosquitto.start(group: group)
        defer { broker.stop() }
        let pool = try SourceAddressPool(fleetSize: 3, ephemeralPorts: 40000...40001, reserve: 1)
        let sources = (0..<3).map { pool.address(forMember: $0) }
        #expect(sources == ["127.0.0.1", "127.0.0.2", "127.0.0.3"])
        let devices = sources.enumerated().map { index, source in device("source-\(index)", source: source) }
        for (index, device) in devices.enumerated() {
            #expect(try await device.connect(request(broker, clientID: "source-\(index)")) == .answered)
        }
        // Mosquitto's notice: "New client connected from 127.0.0.2:41234 as source-1 (...)".
        #expect(await eventually { broker.log.contains(" as source-2 ") })
        for (index, source) in sources.enumerated() {
            let line = broker.log.split(separator: "\n").first { $0.contains("New client connected from") && $0.contains(" as source-\(index) ") }
            #expect(line?.contains("from \(source ?? "?"):") == true, "\(broker.log)")
        }
        for device in devices { await device.shutdown() }
    }

    @Test("a source that is not an IP address, or not this machine's, fails the connect with the reason")
    func badSource() async throws {
        let broker = try await Mosquitto.start(group: group)
        defer { broker.stop() }
        let events = EventLog()
        let notIP = device("bad-source", source: "localhost-ish", events: events)
        guard case .connectionEnded = try await notIP.connect(request(broker, clientID: "bad-source")) else {
            Issue.record("connected from a source that is not an IP address")
            return
        }
        #expect(events.all.contains { $0 == .transportFailed(reason: "the source address 'localhost-ish' is not an IP address") }, "\(events.all)")
        await notIP.shutdown()

        let foreignEvents = EventLog()
        let foreign = device("foreign-source", source: "192.0.2.1", events: foreignEvents)
        guard case .connectionEnded = try await foreign.connect(request(broker, clientID: "foreign-source")) else {
            Issue.record("connected from an address this machine does not have")
            return
        }
        let failure = foreignEvents.all.compactMap { if case .transportFailed(let reason) = $0 { reason } else { nil } }.first
        #expect(failure?.hasSuffix("from source address 192.0.2.1") == true, "\(foreignEvents.all)")
        #expect(failure?.contains("cannot assign requested address") == true, "\(foreignEvents.all)")
        await foreign.shutdown()
    }
}
