import CHeap
import Devices
import Foundation
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTClient
import MQTTClientCore
import MQTTCore
import NIOCore
import NIOPosix
import NIOSSL
import Reporting
import Synchronization

/// `harness bench fleet`: a fleet of real ``SimulatedDevice``s (the engine a scenario's
/// devices run on) in this process against the simulated hub over TLS, then Mosquitto plain
/// and over TLS, each server in a process of its own so its memory can be read: the time to
/// connect every device (``FleetConnector``, paced or not), C2D to every device with latency
/// percentiles, and the resident memory per device on both ends.
public struct FleetBenchmark: Sendable {
    public struct Settings: Sendable {
        public var devices: Int
        /// Connects a second; `nil`: as fast as ``inFlight`` allows.
        public var connectsPerSecond: Double?
        /// Connects (and subscribes) waiting for their answer at a time.
        public var inFlight: Int
        /// C2D sends not yet answered at a time (pipelined requests to the hub's service API;
        /// unacknowledged QoS 1 PUBLISHes to Mosquitto).
        public var window: Int
        public var profile: DeviceProfile
        /// The `harness` executable that runs `harness hub`.
        public var harnessPath: String
        /// The `mosquitto` executable, or `nil` to measure the hub only.
        public var mosquittoPath: String?
        /// Whether the fleet also runs against a simulated hub in this process, as a scenario
        /// runs it (its connections on the hub's own event loop, C2D queued straight into it):
        /// two descriptors a device here, and one process's memory for both ends.
        public var inProcess: Bool

        public init(
            devices: Int = 10_000,
            connectsPerSecond: Double? = nil,
            inFlight: Int = 200,
            window: Int = 64,
            profile: DeviceProfile = .umqttRobust,
            harnessPath: String,
            mosquittoPath: String?,
            inProcess: Bool = false
        ) {
            self.devices = devices
            self.connectsPerSecond = connectsPerSecond
            self.inFlight = inFlight
            self.window = window
            self.profile = profile
            self.harnessPath = harnessPath
            self.mosquittoPath = mosquittoPath
            self.inProcess = inProcess
        }
    }

    /// What one server achieved with the fleet.
    public struct Measurement: Sendable {
        public var name: String
        public var devices: Int
        /// Devices connected with CONNACK 0.
        public var connected: Int
        /// From the first connect's start to the last CONNACK.
        public var connectTime: Duration
        /// Each connect, its start to its CONNACK.
        public var connectLatency: LatencyHistogram
        /// Every device's SUBSCRIBE to its C2D topic, to the last SUBACK.
        public var subscribeTime: Duration
        /// C2D messages (one a device) that reached their device's firmware.
        public var delivered: Int
        /// From the first C2D send to the last receipt.
        public var deliveryTime: Duration
        /// Each C2D message, its send to its device's firmware reading it.
        public var deliveryLatency: LatencyHistogram
        /// Resident memory of this process (the devices) and of the server, before the fleet
        /// and with the fleet connected and subscribed.
        public var harnessBefore: Int
        public var harnessAfter: Int
        public var serverBefore: Int
        public var serverAfter: Int
        /// Whether the server ran in this process: then both ends are in the harness's
        /// figures, and the server's are zero.
        public var serverInProcess: Bool
        /// The first few devices that did not connect or get their message, and why.
        public var problems: [String]

        public var harnessBytesPerDevice: Double { Double(harnessAfter - harnessBefore) / Double(max(1, devices)) }
        public var serverBytesPerDevice: Double { Double(serverAfter - serverBefore) / Double(max(1, devices)) }
    }

    public let settings: Settings

    public init(settings: Settings) {
        self.settings = settings
    }

    public static let hostName = "fleet.azure-devices.net"

    /// The hub over TLS, then (unless left out) Mosquitto plain and Mosquitto over TLS.
    /// - Throws: ``DescriptorBudget/Shortfall`` before anything starts when this process may
    ///   not open a descriptor for every device; ``LoadError`` when a server does not start.
    public func run(progress: @Sendable (String) -> Void) async throws -> [Measurement] {
        // The servers run in processes of their own: one descriptor a device here; two with
        // the hub in this process.
        try DescriptorLimit.ensure(DescriptorBudget(devices: settings.devices, perDevice: DescriptorBudget.perDevice(hubInProcess: settings.inProcess)))
        let pool = try SourceAddressPool(fleetSize: settings.devices, ephemeralPorts: SourceAddressPool.ephemeralPortRange())
        if pool.spreads { progress("spreading \(settings.devices) devices over source addresses \(pool.addresses.joined(separator: ", "))") }
        let targets = try BenchTargets.make()
        defer { targets.remove() }
        let ids = try (0..<settings.devices).map { try DeviceID(String(format: "fleet-%05d", $0)) }
        var results: [Measurement] = []
        results.append(try await measureHub(ids: ids, pool: pool, targets: targets, progress: progress))
        if settings.inProcess { results.append(try await measureInProcessHub(ids: ids, pool: pool, progress: progress)) }
        if let mosquitto = settings.mosquittoPath {
            for tls in [false, true] {
                results.append(try await measureMosquitto(mosquitto, tls: tls, ids: ids, pool: pool, targets: targets, progress: progress))
            }
        }
        return results
    }

    private func measureHub(ids: [DeviceID], pool: SourceAddressPool, targets: BenchTargets, progress: @Sendable (String) -> Void) async throws -> Measurement {
        let keys = ids.map { _ in DeviceKey.random() }
        let devicesFile = "\(targets.folder)/fleet-devices.txt"
        try Data(zip(ids, keys).map { "\($0):\($1.base64)" }.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: devicesFile))
        progress("hub (TLS): starting `harness hub` with \(ids.count) devices")
        let (hub, state) = try await targets.startHub(harnessPath: settings.harnessPath, hostName: Self.hostName, arguments: ["--devices-file", devicesFile])
        defer { BenchTargets.stop(hub) }
        guard let port = state.tlsPort, let serviceURL = URL(string: state.serviceURL), let servicePort = serviceURL.port else {
            throw LoadError(description: "the hub's state file has no TLS port or service URL")
        }
        let policyKey = try DeviceKey(base64: state.policyKey)
        let token = SASToken.make(resource: Self.hostName, key: policyKey, expiry: Int64(Date().timeIntervalSince1970) + 3600, policyName: state.policyName).rendered
        let tls = targets.clientSettings
        let clock = SystemWallClock()
        let fleet = Fleet(ids: ids, profile: settings.profile, pool: pool, tlsContext: targets.clientTLS) { index, id in
            MintedTokenSource(deviceID: id, hostName: Self.hostName, key: keys[index], ttl: .seconds(3600), clock: clock)
        } request: { id in
            ConnectRequest(host: "127.0.0.1", port: port, clientID: id.string, username: "\(Self.hostName)/\(id.string)/?api-version=2018-06-30", cleanSession: false, keepAlive: 60, tls: tls)
        }
        let names = ids.map(\.string)
        let window = settings.window
        return try await measure(name: "hub (TLS)", pid: hub.processIdentifier, fleet: fleet, progress: progress) { deliveries, counters in
            let clock = SystemMonotonicClock()
            try await ServiceLoad.send(port: servicePort, token: token, ids: names, total: names.count, window: window, counters: counters) { index in
                deliveries.sent(index, at: clock.nanoseconds())
            }
        }
    }

    /// The hub in this process, as a scenario runs it: TLS with its own certificate, its
    /// connections on the hub's own loop (a thread apart from the devices'), C2D queued
    /// straight into it (`window` at a time).
    private func measureInProcessHub(ids: [DeviceID], pool: SourceAddressPool, progress: @Sendable (String) -> Void) async throws -> Measurement {
        let keys = ids.map { _ in DeviceKey.random() }
        progress("hub in-process (TLS): starting the simulated hub with \(ids.count) devices")
        var hubSettings = HubHost.Settings(hostName: Self.hostName, devices: zip(ids, keys).map { DeviceRecord(id: $0, primaryKey: $1) })
        hubSettings.placement = .hubLoop
        // The hub on a thread of its own, apart from the devices' loops: on a loop it shares
        // with devices, those devices' reads wait behind the hub's C2D work (9,000 devices on
        // this 2-core machine: C2D p99 533 ms sharing, 15-33 ms apart).
        let hubGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { hubGroup.shutdownGracefully { _ in } }
        let host = try await HubHost.start(hubSettings, group: hubGroup)
        do {
            guard let port = host.endpoints.tlsPort, let caFile = host.endpoints.caCertificatePath else {
                throw LoadError(description: "the in-process hub has no TLS port")
            }
            let tls = ClientTLS(caFile: caFile, serverName: "localhost")
            let context = try tls.makeContext()
            let clock = SystemWallClock()
            let fleet = Fleet(ids: ids, profile: settings.profile, pool: pool, tlsContext: context) { index, id in
                MintedTokenSource(deviceID: id, hostName: Self.hostName, key: keys[index], ttl: .seconds(3600), clock: clock)
            } request: { id in
                ConnectRequest(host: "127.0.0.1", port: port, clientID: id.string, username: "\(Self.hostName)/\(id.string)/?api-version=2018-06-30", cleanSession: false, keepAlive: 60, tls: tls)
            }
            let window = settings.window
            let hub = host.hub
            let measurement = try await measure(name: "hub in-process (TLS)", pid: nil, fleet: fleet, progress: progress) { deliveries, counters in
                let monotonic = SystemMonotonicClock()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (index, id) in ids.enumerated() {
                        if index >= window { try await group.next() }
                        group.addTask {
                            deliveries.sent(index, at: monotonic.nanoseconds())
                            _ = try await hub.sendCloudToDevice(CloudToDeviceMessage(payload: ByteBuffer(string: "m\(index)")), to: id)
                            counters.acknowledged.add(1, ordering: .relaxed)
                        }
                    }
                    try await group.waitForAll()
                }
            }
            await host.stop()
            return measurement
        } catch {
            await host.stop()
            throw error
        }
    }

    private func measureMosquitto(
        _ path: String,
        tls: Bool,
        ids: [DeviceID],
        pool: SourceAddressPool,
        targets: BenchTargets,
        progress: @Sendable (String) -> Void
    ) async throws -> Measurement {
        let name = tls ? "mosquitto (TLS)" : "mosquitto (plain)"
        progress("\(name): starting \(path)")
        let (broker, port) = try await targets.startMosquitto(path, tls: tls, extraConfiguration: ["max_queued_messages 1000"])
        defer { BenchTargets.stop(broker) }
        let clientTLS = tls ? targets.clientSettings : nil
        let fleet = Fleet(ids: ids, profile: settings.profile, pool: pool, tlsContext: tls ? targets.clientTLS : nil) { _, _ in nil } request: { id in
            ConnectRequest(host: "127.0.0.1", port: port, clientID: id.string, cleanSession: false, keepAlive: 60, tls: clientTLS)
        }
        let topics = try ids.map { try TopicName(IoTHubTopics.deviceboundPrefix($0) + "m") }
        let window = settings.window
        let connector = LoadConnector(group: MultiThreadedEventLoopGroup.singleton, port: port, tls: clientTLS, tlsContext: tls ? targets.clientTLS : nil)
        return try await measure(name: name, pid: broker.processIdentifier, fleet: fleet, progress: progress) { deliveries, counters in
            let publisher = try await connector.open(connect: ConnectOptions(clientID: "fleet-publisher", cleanSession: true, keepAlive: 600), filter: nil, counters: counters)
            let done = publisher.eventLoop.makePromise(of: Void.self)
            let clock = SystemMonotonicClock()
            try await publisher.withDriver { driver in
                LoadPublisher(topics: topics, window: window, counters: counters, done: done) { index in
                    deliveries.sent(index, at: clock.nanoseconds())
                }
                .fill(driver)
            }
            try await done.futureResult.get()
            await publisher.close()
        }
    }

    /// Makes the fleet, connects and subscribes it, reads the memory, sends one C2D message
    /// to every device and waits for them, then shuts the fleet down.
    private func measure(
        name: String,
        pid: Int32?,
        fleet: Fleet,
        progress: @Sendable (String) -> Void,
        send: (FleetDeliveries, LoadCounters) async throws -> Void
    ) async throws -> Measurement {
        try await Task.sleep(for: .milliseconds(500))
        harness_heap_return_free_memory()
        // With the server in this process (`pid` nil), its memory is counted as the harness's.
        let serverBefore = pid.flatMap(ProcessMemory.residentBytes(of:)) ?? 0
        let harnessBefore = ProcessMemory.residentBytes(of: getpid()) ?? 0
        let deliveries = FleetDeliveries(count: fleet.ids.count)
        let members = fleet.make(observer: { deliveries.observe($0) })
        defer { harness_heap_return_free_memory() }
        var problems: [String] = []
        let connector = try FleetConnector(connectsPerSecond: settings.connectsPerSecond, maximumInFlight: settings.inFlight)
        let report = await connector.connect(members)
        progress("\(name): \(report.accepted) of \(members.count) devices connected in \(HubBenchmark.format(report.elapsed))")
        problems += report.notAccepted.prefix(5).map { "\($0.deviceID): \($0.result)" }
        let subscribeStart = ContinuousClock.now
        let unsubscribed = await Self.subscribeAll(members.map(\.device), ids: fleet.ids, accepted: Set(report.outcomes.filter(\.result.isAccepted).map(\.index)), inFlight: settings.inFlight)
        let subscribeTime = ContinuousClock.now - subscribeStart
        problems += unsubscribed.prefix(5)
        try await Task.sleep(for: .milliseconds(500))
        let serverAfter = pid.flatMap(ProcessMemory.residentBytes(of:)) ?? 0
        let harnessAfter = ProcessMemory.residentBytes(of: getpid()) ?? 0
        let counters = LoadCounters()
        try await send(deliveries, counters)
        let expected = report.accepted - unsubscribed.count
        let deadline = ContinuousClock.now + .seconds(60)
        while deliveries.received < expected, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        let summary = deliveries.summary()
        progress("\(name): \(deliveries.received) of \(members.count) C2D messages delivered in \(HubBenchmark.format(summary.elapsed))")
        problems += summary.missing.prefix(5).map { "\(fleet.ids[$0]): no C2D message within 60 s" }
        if summary.duplicates > 0 { problems.append("\(summary.duplicates) C2D messages arrived twice") }
        await Self.shutdownAll(members.map(\.device))
        return Measurement(
            name: name,
            devices: members.count,
            connected: report.accepted,
            connectTime: report.elapsed,
            connectLatency: LatencyHistogram(nanoseconds: report.acceptedLatencies),
            subscribeTime: subscribeTime,
            delivered: deliveries.received,
            deliveryTime: summary.elapsed,
            deliveryLatency: summary.latency,
            harnessBefore: harnessBefore,
            harnessAfter: harnessAfter,
            serverBefore: serverBefore,
            serverAfter: serverAfter,
            serverInProcess: pid == nil,
            problems: problems
        )
    }

    /// Subscribes every connected device to its C2D topic at QoS 1, `inFlight` at a time.
    /// - Returns: why devices did not subscribe.
    static func subscribeAll(_ devices: [any Device], ids: [DeviceID], accepted: Set<Int>, inFlight: Int) async -> [String] {
        await withTaskGroup(of: String?.self) { group in
            var failures: [String] = []
            var running = 0
            for index in devices.indices where accepted.contains(index) {
                if running >= inFlight, let failure = await group.next() {
                    running -= 1
                    if let failure { failures.append(failure) }
                }
                let device = devices[index]
                let id = ids[index]
                group.addTask {
                    do {
                        let filter = try TopicFilter(IoTHubTopics.deviceboundFilter(id))
                        let outcome = try await device.subscribe(to: filter, qos: .atLeastOnce)
                        return outcome == .answered ? nil : "\(id): subscribe: \(outcome)"
                    } catch {
                        return "\(id): subscribe: \(error)"
                    }
                }
                running += 1
            }
            for await failure in group { if let failure { failures.append(failure) } }
            return failures
        }
    }

    static func shutdownAll(_ devices: [any Device]) async {
        await withTaskGroup(of: Void.self) { group in
            for device in devices { group.addTask { await device.shutdown() } }
        }
    }
}

/// How a benchmark fleet's devices are made for one server: ids, profile, source addresses,
/// the shared TLS context, each device's token source and connect request.
struct Fleet: Sendable {
    var ids: [DeviceID]
    var profile: DeviceProfile
    var pool: SourceAddressPool
    var tlsContext: NIOSSLContext?
    var tokens: @Sendable (Int, DeviceID) -> (any TokenSource)?
    var request: @Sendable (DeviceID) -> ConnectRequest

    init(
        ids: [DeviceID],
        profile: DeviceProfile,
        pool: SourceAddressPool,
        tlsContext: NIOSSLContext?,
        tokens: @escaping @Sendable (Int, DeviceID) -> (any TokenSource)?,
        request: @escaping @Sendable (DeviceID) -> ConnectRequest
    ) {
        self.ids = ids
        self.profile = profile
        self.pool = pool
        self.tlsContext = tlsContext
        self.tokens = tokens
        self.request = request
    }

    /// The real simulated devices, one event loop each from the shared group.
    func make(observer: @escaping @Sendable (DeviceEventRecord) -> Void) -> [FleetConnector.Member] {
        ids.enumerated().map { index, id in
            let device = SimulatedDevice(
                id: id,
                profile: profile,
                group: MultiThreadedEventLoopGroup.singleton,
                tokenSource: tokens(index, id),
                observer: observer,
                tlsContext: tlsContext,
                sourceAddress: pool.address(forMember: index)
            )
            return FleetConnector.Member(device: device, request: request(id))
        }
    }
}
