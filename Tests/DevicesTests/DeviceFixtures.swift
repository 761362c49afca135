import Devices
import HarnessTestSupport
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import NIOPosix
import Synchronization

/// A simulated hub on loopback with one registered device, and a record of everything the
/// device reports, for integration tests of devices.
final class HubBench: Sendable {
    static let hostName = "simulated.azure-devices.net"
    static let deviceID = id("esp8266")
    static let key = DeviceKey(bytes: Array(0..<32))
    static let filter = topicFilter("devices/esp8266/messages/devicebound/#")

    let hub: SimulatedHub
    let port: Int
    let events = EventLog()
    let hubEvents: HubEventLog
    let packets = PacketLog()
    let wallClock: HubWallClock

    static func id(_ text: String) -> DeviceID {
        do { return try DeviceID(text) } catch { preconditionFailure("\(error)") }
    }

    static func start(configuration: HubConfiguration = HubConfiguration(hostName: hostName)) async throws -> HubBench {
        let hubEvents = HubEventLog()
        let hub = SimulatedHub(
            configuration: configuration,
            registry: DeviceRegistry(devices: [DeviceRecord(id: deviceID, primaryKey: key)]),
            group: MultiThreadedEventLoopGroup.singleton,
            observer: { record in hubEvents.append(record.event) }
        )
        let port = try await hub.start()
        return HubBench(hub: hub, port: port, hubEvents: hubEvents)
    }

    private init(hub: SimulatedHub, port: Int, hubEvents: HubEventLog) {
        self.hub = hub
        self.port = port
        self.hubEvents = hubEvents
        self.wallClock = HubWallClock(clock: hub.clock)
    }

    /// Tokens minted on the hub's clock.
    func mintedTokens(ttl: Duration = .seconds(3600)) -> MintedTokenSource {
        MintedTokenSource(deviceID: Self.deviceID, hostName: Self.hostName, key: Self.key, ttl: ttl, clock: wallClock)
    }

    /// A connect request for the registered device (password from the token source).
    func request(cleanSession: Bool = false, keepAlive: UInt16 = 4000) -> ConnectRequest {
        ConnectRequest(
            host: "127.0.0.1",
            port: port,
            clientID: Self.deviceID.string,
            username: "\(Self.hostName)/esp8266/?api-version=2018-06-30",
            cleanSession: cleanSession,
            keepAlive: keepAlive
        )
    }

    func send(_ payload: String) async throws {
        try await hub.sendCloudToDevice(CloudToDeviceMessage(payload: ByteBuffer(string: payload)), to: Self.deviceID)
    }

    func stop() async {
        await hub.stop()
    }
}

/// The hub's clock as a device's wall clock.
struct HubWallClock: WallClock {
    let clock: HubClock
    func unixNanoseconds() -> Int64 { clock.now().nanosecondsSince1970 }
}

/// Collects device events; tests wait for one to appear.
final class EventLog: Sendable {
    private let events = Mutex<[DeviceEvent]>([])

    var observer: @Sendable (DeviceEventRecord) -> Void {
        { [self] record in events.withLock { $0.append(record.event) } }
    }

    var all: [DeviceEvent] { events.withLock { $0 } }

    /// Waits until an event satisfying `predicate` was reported, or `timeout` passed.
    @discardableResult
    func wait(timeout: Duration = .seconds(10), for predicate: @Sendable (DeviceEvent) -> Bool) async -> DeviceEvent? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let event = events.withLock({ $0.first(where: predicate) }) { return event }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return nil
    }

    func count(where predicate: (DeviceEvent) -> Bool) -> Int {
        events.withLock { $0.filter(predicate).count }
    }
}

/// Collects hub events.
final class HubEventLog: Sendable {
    private let events = Mutex<[HubEvent]>([])

    func append(_ event: HubEvent) { events.withLock { $0.append(event) } }
    var all: [HubEvent] { events.withLock { $0 } }

    @discardableResult
    func wait(timeout: Duration = .seconds(10), for predicate: @Sendable (HubEvent) -> Bool) async -> HubEvent? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let event = events.withLock({ $0.first(where: predicate) }) { return event }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return nil
    }

    func count(where predicate: (HubEvent) -> Bool) -> Int {
        events.withLock { $0.filter(predicate).count }
    }
}

/// Collects packet records.
final class PacketLog: PacketTap {
    private let records = Mutex<[PacketRecord]>([])

    func record(_ record: PacketRecord) { records.withLock { $0.append(record) } }
    var all: [PacketRecord] { records.withLock { $0 } }
}

extension DeviceEvent {
    var isLEDOn: Bool { if case .led(true, _) = self { true } else { false } }
    var isLEDOff: Bool { if case .led(false, _) = self { true } else { false } }
    var isCrash: Bool { if case .crashed = self { true } else { false } }
    var connAckCode: ConnectReturnCode? { if case .connAckReceived(let connack) = self { connack.returnCode } else { nil } }
}

/// Waits until `condition` holds or `timeout` passed; returns whether it held.
func eventually(timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(2))
    }
    return condition()
}
