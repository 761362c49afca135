import Devices
import IoTHubCore
import MQTTCore
import NIOCore
import NIOSSL

/// Creates the device a ``DeviceSpec`` describes: a simulated device, a generic client, a
/// firmware process or a serial board, each with its token source and observers wired to the
/// run's record, and registers where the record watches its packets.
enum DeviceFactory {
    /// The device, watched in `record` at its ``Vantage``: simulated devices and generic
    /// clients at their own codec; firmware at the simulated hub's codec when the target is the
    /// simulated hub, else at its tap proxy or the packet lines it prints.
    /// - Parameter tapped: whether a ``TapProxy`` records the device's packets, so its own tap
    ///   lines (if its firmware prints any) would count them twice.
    /// - Parameter tlsContext: a client TLS context shared by many devices (a fleet's).
    /// - Parameter sourceAddress: the loopback address a fleet member's connections bind
    ///   (a fleet spread over several when one address's ports would not hold it).
    /// - Parameter provisioned: for a device that provisions, where its assignment will be.
    /// - Parameter wallClock: the device's own clock (its timers, the tokens minted for it);
    ///   `nil`: the backend's.
    static func make(
        _ spec: DeviceSpec,
        key: DeviceKey,
        backend: any HubBackend,
        wallClock: (any WallClock)? = nil,
        tapped: Bool = false,
        sourceAddress: String? = nil,
        tlsContext: NIOSSLContext? = nil,
        provisioned: ProvisionedDevices? = nil,
        environment: RunEnvironment,
        record: RunRecord
    ) -> any Device {
        let wallClock = wallClock ?? backend.wallClock
        let id = spec.id
        let observer: @Sendable (DeviceEventRecord) -> Void = { event in record.append(.device(id, event.event), at: event.timestamp) }
        let tap: any PacketTap = tapped ? DiscardingTap() : RecordTap(runRecord: record, vantage: .device, device: id)
        let firmwareVantage: Vantage = backend.simulation != nil ? .hub : .device
        var tokens = tokenSource(for: spec, key: key, backend: backend, clock: wallClock, group: environment.group)
        // A device that provisions mints for what DPS assigned it, once it has.
        if let provisioned { tokens = ProvisionedTokenSource(device: id, base: tokens, provisioned: provisioned, ttl: spec.tokenTTL, clock: wallClock) }
        switch spec.settings {
        case .simulated(let simulated):
            let device = SimulatedDevice(
                id: id,
                profile: simulated.profile,
                settings: ClientSettings(sendsPings: simulated.sendsPings, renewalMargin: simulated.renewalMargin),
                group: environment.group,
                monotonic: environment.clock,
                wallClock: wallClock,
                tokenSource: tokens,
                observer: observer,
                tap: tap,
                tlsContext: tlsContext,
                sourceAddress: sourceAddress
            )
            record.watch(id, at: .device)
            return device
        case .process(let settings, let firmware):
            let configuration = ProcessDevice.Configuration(
                command: settings.command,
                runtime: settings.runtime,
                arguments: settings.arguments,
                environment: settings.environment,
                workingDirectory: settings.workingDirectory,
                caFile: firmware.caFile,
                tokenService: spec.tokenService.map { ProcessDevice.TokenServiceFacts(url: $0.url, functionKey: $0.key, ttl: spec.tokenTTL) },
                output: firmware.output
            )
            let device = ProcessDevice(id: id, configuration: configuration, tokenSource: tokens, monotonic: environment.clock, observer: observer, tap: tap)
            record.watch(id, at: firmwareVantage)
            return device
        case .serial(let settings, let firmware):
            let configuration = SerialDevice.Configuration(
                port: SerialPortSettings(path: settings.port, baud: settings.baud),
                firmware: settings.firmware ?? "main.py",
                config: settings.config,
                caFile: firmware.caFile,
                output: firmware.output,
                resume: settings.resume
            )
            let device = SerialDevice(id: id, configuration: configuration, tokenSource: tokens, monotonic: environment.clock, observer: observer, tap: tap)
            record.watch(id, at: firmwareVantage)
            return device
        case .client(let client):
            let will = client.will.map {
                ConnectPacket.Will(topic: $0.topic, payload: ByteBuffer(string: $0.payload), qos: $0.qos, retain: $0.retain, properties: $0.properties)
            }
            let settings = GenericClientSettings(
                protocolVersion: spec.protocolVersion,
                will: will,
                acknowledgesMessages: client.acknowledgesMessages,
                sendsPings: client.sendsPings
            )
            let device = GenericClient(id: id, settings: settings, group: environment.group, monotonic: environment.clock, observer: observer, tap: tap)
            record.watch(id, at: .device)
            return device
        }
    }

    /// A fixed password or token, a token service, or tokens minted on `clock` (default: the
    /// backend's) with the device key; none for a generic broker when the spec gives no
    /// password.
    static func tokenSource(
        for spec: DeviceSpec,
        key: DeviceKey,
        backend: any HubBackend,
        clock: (any WallClock)? = nil,
        group: any EventLoopGroup
    ) -> (any TokenSource)? {
        if let password = spec.password ?? spec.token { return FixedTokenSource(password) }
        if let service = spec.tokenService, let endpoint = try? TokenServiceEndpoint(url: service.url) {
            return TokenServiceSource(endpoint: endpoint, functionKey: service.key, deviceID: spec.id, ttl: spec.tokenTTL, group: group)
        }
        guard let hostName = backend.iotHubHostName else { return nil }
        return MintedTokenSource(deviceID: spec.id, hostName: hostName, key: key, ttl: spec.tokenTTL, clock: clock ?? backend.wallClock)
    }
}

/// A tap that keeps nothing, for devices whose packets another tap records.
struct DiscardingTap: PacketTap {
    func record(_ record: PacketRecord) {}
}
