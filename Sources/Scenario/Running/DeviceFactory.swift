import Devices
import IoTHubCore
import IoTHubSimulation
import MQTTCore
import NIOCore

/// Creates the device a ``DeviceSpec`` describes: a simulated device, a firmware process or a
/// serial board, each with its token source and observers wired to the run's timeline.
enum DeviceFactory {
    /// The device, and whether it observes its own packets with a codec of its own (process
    /// and serial devices are watched at the hub; their tap lines are extra).
    static func make(
        _ spec: DeviceSpec,
        key: DeviceKey,
        hub: SimulatedHub,
        hostName: String,
        environment: RunEnvironment,
        timeline: Timeline
    ) -> (device: any Device, observesOwnPackets: Bool) {
        let id = spec.id
        let observer: @Sendable (DeviceEventRecord) -> Void = { record in timeline.append(.device(id, record.event), at: record.timestamp) }
        let tap = TimelineTap(timeline: timeline, vantage: .device, device: id)
        let tokens = tokenSource(for: spec, key: key, hub: hub, hostName: hostName, group: environment.group)
        switch spec.kind {
        case .simulated:
            let device = SimulatedDevice(
                id: id,
                profile: spec.profile,
                settings: ClientSettings(sendsPings: spec.sendsPings, renewalMargin: spec.renewalMargin),
                group: environment.group,
                monotonic: environment.clock,
                wallClock: HubWallClock(clock: hub.clock),
                tokenSource: tokens,
                observer: observer,
                tap: tap
            )
            return (device, true)
        case .process:
            let settings = spec.process ?? DeviceSpec.ProcessSettings(command: "", workingDirectory: ".")
            let configuration = ProcessDevice.Configuration(
                command: settings.command,
                arguments: settings.arguments,
                environment: settings.environment,
                workingDirectory: settings.workingDirectory,
                caFile: spec.caFile,
                tokenService: spec.tokenService.map { ProcessDevice.TokenServiceFacts(url: $0.url, functionKey: $0.key, ttl: spec.tokenTTL) },
                output: spec.output
            )
            let device = ProcessDevice(id: id, configuration: configuration, tokenSource: tokens, monotonic: environment.clock, observer: observer, tap: tap)
            return (device, false)
        case .serial:
            let settings = spec.serial ?? DeviceSpec.SerialSettings(port: "")
            let configuration = SerialDevice.Configuration(
                port: SerialPortSettings(path: settings.port, baud: settings.baud),
                firmware: settings.firmware ?? "main.py",
                config: settings.config,
                caFile: spec.caFile,
                output: spec.output
            )
            let device = SerialDevice(id: id, configuration: configuration, tokenSource: tokens, monotonic: environment.clock, observer: observer, tap: tap)
            return (device, false)
        case .client:
            let will = spec.will.map { ConnectPacket.Will(topic: $0.topic, payload: ByteBuffer(string: $0.payload), qos: $0.qos, retain: $0.retain) }
            let settings = GenericClientSettings(will: will, acknowledgesMessages: spec.autoAck, sendsPings: spec.sendsPings ?? true)
            let device = GenericClient(id: id, settings: settings, group: environment.group, monotonic: environment.clock, observer: observer, tap: tap)
            return (device, true)
        }
    }

    /// A fixed token, a token service, or tokens minted on the hub's clock with the device key.
    static func tokenSource(for spec: DeviceSpec, key: DeviceKey, hub: SimulatedHub, hostName: String, group: any EventLoopGroup) -> any TokenSource {
        if let token = spec.token { return FixedTokenSource(token) }
        if let service = spec.tokenService, let endpoint = try? TokenServiceEndpoint(url: service.url) {
            return TokenServiceSource(endpoint: endpoint, functionKey: service.key, deviceID: spec.id, ttl: spec.tokenTTL, group: group)
        }
        return MintedTokenSource(deviceID: spec.id, hostName: hostName, key: key, ttl: spec.tokenTTL, clock: HubWallClock(clock: hub.clock))
    }
}

/// The simulated hub's clock as the devices' wall clock: jumps of the hub's clock
/// (`advance_clock`, `expire_token`) reach the devices' timers and token expiry too.
struct HubWallClock: WallClock {
    let clock: HubClock

    func unixNanoseconds() -> Int64 { clock.now().nanosecondsSince1970 }
}
