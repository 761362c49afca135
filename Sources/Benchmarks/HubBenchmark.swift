import Foundation
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTClient
import MQTTClientCore
import MQTTCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// `harness bench hub`: the simulated hub (its own process, started as `harness hub`) and
/// Mosquitto under the same load of TLS clients running in this process on NIO: connection
/// setup rate, resident memory per connection, and QoS 1 C2D delivery rate.
public struct HubBenchmark: Sendable {
    public struct Settings: Sendable {
        public var devices = 1000
        public var messagesPerDevice = 5
        /// Unacknowledged C2D sends at a time: HTTP connections to the hub, in-flight PUBLISHes
        /// to Mosquitto.
        public var window = 32
        /// TLS handshakes at a time while connecting.
        public var parallel = 50
        /// The `harness` executable that runs `harness hub`.
        public var harnessPath: String
        /// The `mosquitto` executable, or `nil` to skip it.
        public var mosquittoPath: String?

        public init(devices: Int = 1000, messagesPerDevice: Int = 5, window: Int = 32, parallel: Int = 50, harnessPath: String, mosquittoPath: String?) {
            self.devices = devices
            self.messagesPerDevice = messagesPerDevice
            self.window = window
            self.parallel = parallel
            self.harnessPath = harnessPath
            self.mosquittoPath = mosquittoPath
        }
    }

    /// What one broker achieved.
    public struct Measurement: Sendable {
        public var name: String
        public var connections: Int
        public var setupSeconds: Double
        public var residentBefore: Int
        public var residentAfter: Int
        public var messages: Int
        public var deliverySeconds: Double

        public var setupRate: Double { Double(connections) / setupSeconds }
        public var bytesPerConnection: Double { Double(residentAfter - residentBefore) / Double(connections) }
        public var deliveryRate: Double { Double(messages) / deliverySeconds }
    }

    public let settings: Settings

    public init(settings: Settings) {
        self.settings = settings
    }
    public static let hostName = "bench.azure-devices.net"

    /// Runs the hub, then Mosquitto.
    public func run(progress: @Sendable (String) -> Void) async throws -> [Measurement] {
        let targets = try BenchTargets.make()
        defer { targets.remove() }
        let devices = (0..<settings.devices).map { index in
            (id: (try? DeviceID(String(format: "bench-%05d", index))) ?? HubBenchmark.fallbackID, key: DeviceKey.random())
        }
        var results: [Measurement] = []
        progress("hub: starting `harness hub` with \(devices.count) devices")
        results.append(try await measureHub(devices: devices, targets: targets, progress: progress))
        if let mosquitto = settings.mosquittoPath {
            progress("mosquitto: starting \(mosquitto)")
            results.append(try await measureMosquitto(mosquitto, devices: devices.map(\.id), targets: targets, progress: progress))
        }
        return results
    }

    private static let fallbackID: DeviceID = {
        guard let id = try? DeviceID("bench") else { preconditionFailure("'bench' is a valid device id") }
        return id
    }()

    private func measureHub(devices: [(id: DeviceID, key: DeviceKey)], targets: BenchTargets, progress: @Sendable (String) -> Void) async throws -> Measurement {
        let devicesFile = "\(targets.folder)/devices.txt"
        try Data(devices.map { "\($0.id):\($0.key.base64)" }.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: devicesFile))
        let (hub, state) = try await targets.startHub(harnessPath: settings.harnessPath, hostName: Self.hostName, arguments: ["--devices-file", devicesFile])
        defer { BenchTargets.stop(hub) }
        guard let port = state.tlsPort, let serviceURL = URL(string: state.serviceURL), let servicePort = serviceURL.port else {
            throw LoadError(description: "the hub's state file has no TLS port or service URL")
        }
        let expiry = Int64(Date().timeIntervalSince1970) + 3600
        let clients = devices.map { device -> (ConnectOptions, TopicFilter?) in
            let credentials = IoTHubCredentials.device(device.id, hostName: Self.hostName, key: device.key, expiry: expiry)
            let connect = ConnectOptions(clientID: credentials.clientID, cleanSession: false, keepAlive: 600, username: credentials.username, password: ByteBuffer(string: credentials.password))
            return (connect, try? TopicFilter(IoTHubTopics.deviceboundFilter(device.id)))
        }
        let ids = devices.map(\.id.string)
        let policyKey = try DeviceKey(base64: state.policyKey)
        let token = SASToken.make(resource: Self.hostName, key: policyKey, expiry: expiry, policyName: state.policyName).rendered
        return try await measure(name: "hub", pid: hub.processIdentifier, port: port, clients: clients, targets: targets, progress: progress) { counters, total in
            try await sendThroughService(port: servicePort, token: token, ids: ids, total: total, counters: counters)
        }
    }

    private func measureMosquitto(_ path: String, devices: [DeviceID], targets: BenchTargets, progress: @Sendable (String) -> Void) async throws -> Measurement {
        let (broker, port) = try await targets.startMosquitto(path, extraConfiguration: ["max_queued_messages 1000"])
        defer { BenchTargets.stop(broker) }
        let clients = devices.map { id -> (ConnectOptions, TopicFilter?) in
            (ConnectOptions(clientID: id.string, cleanSession: false, keepAlive: 600), try? TopicFilter(IoTHubTopics.deviceboundFilter(id)))
        }
        let topics = devices.compactMap { try? TopicName(IoTHubTopics.deviceboundPrefix($0) + "m") }
        let window = settings.window
        let connector = LoadConnector(group: MultiThreadedEventLoopGroup.singleton, port: port, tls: targets.clientSettings, tlsContext: targets.clientTLS)
        return try await measure(name: "mosquitto", pid: broker.processIdentifier, port: port, clients: clients, targets: targets, progress: progress) { counters, total in
            let publisherCounters = LoadCounters()
            let publisher = try await connector.open(connect: ConnectOptions(clientID: "bench-publisher", cleanSession: true, keepAlive: 600), filter: nil, counters: publisherCounters)
            let done = publisher.eventLoop.makePromise(of: Void.self)
            let all = (0..<total).map { topics[$0 % topics.count] }
            try await publisher.withDriver { driver in
                LoadPublisher(topics: all, window: window, counters: publisherCounters, done: done).fill(driver)
            }
            try await done.futureResult.get()
            await publisher.close()
        }
    }

    /// Connects the clients, reads the memory, sends the messages, and times delivery.
    private func measure(
        name: String,
        pid: Int32,
        port: Int,
        clients: [(ConnectOptions, TopicFilter?)],
        targets: BenchTargets,
        progress: @Sendable (String) -> Void,
        send: (LoadCounters, Int) async throws -> Void
    ) async throws -> Measurement {
        try await Task.sleep(for: .milliseconds(500))
        let before = ProcessMemory.residentBytes(of: pid) ?? 0
        let counters = LoadCounters()
        let connector = LoadConnector(group: MultiThreadedEventLoopGroup.singleton, port: port, tls: targets.clientSettings, tlsContext: targets.clientTLS)
        let setupStart = ContinuousClock.now
        let connections = try await connector.openAll(clients, parallel: settings.parallel, counters: counters)
        let setup = ContinuousClock.now - setupStart
        progress("\(name): \(connections.count) TLS connections subscribed in \(Self.format(setup))")
        try await Task.sleep(for: .milliseconds(500))
        let after = ProcessMemory.residentBytes(of: pid) ?? 0
        let total = clients.count * settings.messagesPerDevice
        let deliveryStart = ContinuousClock.now
        try await send(counters, total)
        let deadline = ContinuousClock.now + .seconds(300)
        while counters.received.load(ordering: .relaxed) < total {
            guard ContinuousClock.now < deadline else {
                throw LoadError(description: "\(name): only \(counters.received.load(ordering: .relaxed)) of \(total) messages arrived")
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        let delivery = ContinuousClock.now - deliveryStart
        progress("\(name): \(total) QoS 1 messages delivered in \(Self.format(delivery))")
        await LoadConnector.closeAll(connections)
        return Measurement(
            name: name,
            connections: connections.count,
            setupSeconds: Self.seconds(setup),
            residentBefore: before,
            residentAfter: after,
            messages: total,
            deliverySeconds: Self.seconds(delivery)
        )
    }

    private func sendThroughService(port: Int, token: String, ids: [String], total: Int, counters: LoadCounters) async throws {
        try await ServiceLoad.send(port: port, token: token, ids: ids, total: total, window: settings.window, counters: counters)
    }

    public static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    public static func format(_ duration: Duration) -> String {
        String(format: "%.3f s", seconds(duration))
    }
}
