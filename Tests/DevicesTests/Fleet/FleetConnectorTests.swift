import Devices
import Foundation
import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTClient
import MQTTCore
import NIOPosix
import Synchronization
import Testing

/// A fleet of real simulated devices connecting over TLS to the simulated hub on loopback,
/// each with its own key, paced and bounded by the connector.
@Suite struct FleetConnectorTests {
    static let hostName = "fleet.azure-devices.net"

    struct Fleet {
        var hub: SimulatedHub
        var members: [FleetConnector.Member]
        var devices: [SimulatedDevice]
    }

    /// `count` devices `fleet-000`... registered with their own keys; `wrongKey` connects with
    /// a key the hub does not know.
    func fleet(count: Int, wrongKey: Set<Int> = []) async throws -> Fleet {
        let ids = (0..<count).map { HubFixtures.deviceIDLiteral("fleet-\(String(format: "%03d", $0))") }
        let keys = ids.map { _ in DeviceKey.random() }
        let hub = SimulatedHub(
            configuration: HubConfiguration(hostName: Self.hostName),
            registry: DeviceRegistry(devices: zip(ids, keys).map { DeviceRecord(id: $0, primaryKey: $1) }),
            group: MultiThreadedEventLoopGroup.singleton
        )
        let endpoints = try await hub.start(HubListeners())
        let tls = ClientTLS(caFile: try #require(endpoints.caCertificatePath), serverName: "localhost")
        let context = try tls.makeContext()
        let wallClock = HubWallClock(clock: hub.clock)
        var members: [FleetConnector.Member] = []
        var devices: [SimulatedDevice] = []
        for (index, id) in ids.enumerated() {
            let key = wrongKey.contains(index) ? DeviceKey.random() : keys[index]
            let device = SimulatedDevice(
                id: id,
                profile: .umqttSimple,
                group: MultiThreadedEventLoopGroup.singleton,
                wallClock: wallClock,
                tokenSource: MintedTokenSource(deviceID: id, hostName: Self.hostName, key: key, ttl: .seconds(3600), clock: wallClock),
                tlsContext: context
            )
            let request = ConnectRequest(
                host: "127.0.0.1",
                port: try #require(endpoints.tlsPort),
                clientID: id.string,
                username: "\(Self.hostName)/\(id.string)/?api-version=2018-06-30",
                cleanSession: false,
                keepAlive: 600,
                tls: tls
            )
            devices.append(device)
            members.append(FleetConnector.Member(device: device, request: request))
        }
        return Fleet(hub: hub, members: members, devices: devices)
    }

    func stop(_ fleet: Fleet) async {
        for device in fleet.devices { await device.shutdown() }
        await fleet.hub.stop()
    }

    @Test("50 devices at 200/s, 8 in flight: all connected, paced, never more than 8 waiting, each timed")
    func pacedAndBounded() async throws {
        let fleet = try await fleet(count: 50)
        let seen = Counter()
        let connector = try FleetConnector(connectsPerSecond: 200, maximumInFlight: 8, burst: 1)
        let report = await connector.connect(fleet.members) { _ in seen.increment() }
        #expect(report.accepted == 50, "\(report.notAccepted.map { "\($0.deviceID): \($0.result)" })")
        #expect(seen.value == 50)
        #expect(report.outcomes.map(\.index) == Array(0..<50))
        #expect(report.outcomes.map(\.deviceID) == fleet.members.map(\.device.id))
        for device in fleet.members.map(\.device.id) { #expect(try await fleet.hub.isConnected(device)) }
        // Pacing: with a burst of 1, the n-th start comes at least n/rate after the first.
        let starts = report.outcomes.compactMap(\.started).sorted()
        let first = try #require(starts.first)
        for (n, start) in starts.enumerated() {
            #expect(start - first + 1000 >= UInt64(n) * 5_000_000, "start \(n) came \(start - first) ns after the first")
        }
        #expect(report.elapsed >= .milliseconds(245))
        // In flight: at no start were 8 others started and not yet answered.
        for outcome in report.outcomes {
            let start = try #require(outcome.started)
            let open = report.outcomes.filter { other in
                other.index != outcome.index && (other.started ?? .max) <= start && (other.finished ?? 0) > start
            }
            #expect(open.count < 8, "\(open.count) connects in flight when \(outcome.deviceID) started")
        }
        #expect(report.acceptedLatencies.count == 50)
        #expect(report.acceptedLatencies.allSatisfy { $0 > 0 })
        await stop(fleet)
    }

    @Test("as fast as possible; a refused member is reported with its CONNACK, the rest connect")
    func unpacedWithRefusal() async throws {
        let fleet = try await fleet(count: 20, wrongKey: [3, 17])
        let report = await (try FleetConnector(maximumInFlight: 4)).connect(fleet.members)
        #expect(report.accepted == 18)
        #expect(report.notAccepted.map(\.index) == [3, 17])
        #expect(report.notAccepted.allSatisfy { $0.result == .refused(.notAuthorized) })
        #expect(report.notAccepted.first?.result.description == "refused with CONNACK 5 (not_authorized)")
        await stop(fleet)
    }

    @Test("a member that cannot reach its broker fails with the reason")
    func failure() async throws {
        let fleet = try await fleet(count: 2)
        var members = fleet.members
        members[1].request.port = try await Mosquitto.freePort(group: MultiThreadedEventLoopGroup.singleton)
        let report = await (try FleetConnector()).connect(members)
        #expect(report.outcomes[0].result == .accepted)
        guard case .failed(let reason) = report.outcomes[1].result else {
            Issue.record("\(report.outcomes[1].result)")
            return
        }
        #expect(!reason.isEmpty)
        await stop(fleet)
    }

    @Test("cancelled: no further connect starts, and the rest are reported not started")
    func cancelled() async throws {
        let fleet = try await fleet(count: 10)
        let connector = try FleetConnector(connectsPerSecond: 1, maximumInFlight: 1, burst: 1)
        let task = Task { await connector.connect(fleet.members) }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let report = await task.value
        #expect(report.outcomes[0].result == .accepted)
        #expect(report.outcomes.dropFirst().allSatisfy { $0.result == .notStarted && $0.started == nil })
        await stop(fleet)
    }

    @Test("settings refused: in flight below 1, a rate that is not positive, a burst below 1")
    func badSettings() {
        #expect(throws: FleetConnector.SettingsError.self) { try FleetConnector(maximumInFlight: 0) }
        #expect(throws: FleetConnector.SettingsError.self) { try FleetConnector(connectsPerSecond: 0) }
        #expect(throws: FleetConnector.SettingsError.self) { try FleetConnector(connectsPerSecond: -5) }
        #expect(throws: FleetConnector.SettingsError.self) { try FleetConnector(burst: 0) }
    }
}

final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
