import Devices
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTClient
import MQTTCore
import NIOCore

/// The embedded simulated IoT Hub as a run's backend: started for the run on free loopback
/// ports (TLS with a generated CA unless the target says `tls: false`), with the run's devices
/// registered; its events and packets go to the run's timeline.
struct SimulatedBackend: HubBackend {
    let hub: SimulatedHub
    let endpoint: DeviceEndpoint
    let hostName: String
    /// The hub's token endpoint (`token_service: hub`), when a device uses it.
    let tokenService: (server: ServiceHTTPServer, spec: DeviceSpec.TokenServiceSpec)?

    var iotHubHostName: String? { hostName }
    var wallClock: any WallClock { HubWallClock(clock: hub.clock) }
    var secrets: [String] { tokenService.map { [$0.spec.key] } ?? [] }

    /// Starts a hub with `keys` registered as the devices' primary keys.
    static func start(
        _ target: SimulatedHubTarget,
        keys: [DeviceID: DeviceKey],
        servesTokens: Bool = false,
        environment: RunEnvironment,
        timeline: Timeline
    ) async throws -> SimulatedBackend {
        let registry = DeviceRegistry(devices: keys.sorted { $0.key.string < $1.key.string }.map { DeviceRecord(id: $0.key, primaryKey: $0.value) })
        let hub = SimulatedHub(
            configuration: HubConfiguration(hostName: target.hostName),
            registry: registry,
            group: environment.group,
            clock: HubClock(monotonic: environment.clock),
            monotonic: environment.clock,
            observer: { record in timeline.append(.hub(record.event), at: record.timestamp) },
            tap: TimelineTap(timeline: timeline, vantage: .hub, device: nil)
        )
        let listeners = target.tls ? HubListeners() : HubListeners(tls: nil, plainPort: 0)
        let endpoints = try await hub.start(listeners)
        let endpoint: DeviceEndpoint
        if target.tls, let port = endpoints.tlsPort {
            let caFile = endpoints.caCertificatePath
            // The generated certificate names localhost and 127.0.0.1; devices check it against
            // the name they send, as they would check the real hub's name.
            endpoint = DeviceEndpoint(host: endpoints.host, port: port, tls: ClientTLS(caFile: caFile, serverName: "localhost"))
        } else {
            endpoint = DeviceEndpoint(host: endpoints.host, port: endpoints.plainPort ?? 0, tls: nil)
        }
        var tokenService: (server: ServiceHTTPServer, spec: DeviceSpec.TokenServiceSpec)?
        if servesTokens {
            // The hub's token endpoint (GET /api/token?device=&ttl= with x-functions-key), as
            // the seed's planned Azure Function: tokens minted on the hub's clock.
            let key = (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
            let server = ServiceHTTPServer(api: HubServiceAPI(hub: hub, tokenServiceKey: key))
            do {
                let port = try await server.start(host: endpoints.host, port: 0)
                tokenService = (server, DeviceSpec.TokenServiceSpec(url: "http://\(endpoints.host):\(port)/api/token", key: key))
            } catch {
                await hub.stop()
                throw error
            }
        }
        return SimulatedBackend(hub: hub, endpoint: endpoint, hostName: target.hostName, tokenService: tokenService)
    }

    func sendCloudToDevice(_ message: CloudToDeviceSpec, to device: DeviceID, timeout: Duration) async throws -> CloudToDeviceOutcome {
        let request = CloudToDeviceRequest(
            payload: ByteBuffer(string: message.payload),
            properties: message.properties,
            messageID: message.messageID,
            correlationID: message.correlationID,
            timeToLive: message.timeToLive,
            acknowledgement: message.acknowledgement
        )
        do {
            try await hub.sendCloudToDevice(request, to: device)
            return .accepted
        } catch let error as CloudToDeviceError {
            return .refused(code: error.errorCode, reason: error.descriptionWithCode)
        }
    }

    func stop() async {
        await tokenService?.server.stop()
        await hub.stop()
    }
}

/// The simulated hub's clock as the devices' wall clock: jumps of the hub's clock
/// (`advance_clock`, `expire_token`) reach the devices' timers and token expiry too.
struct HubWallClock: WallClock {
    let clock: HubClock

    func unixNanoseconds() -> Int64 { clock.now().nanosecondsSince1970 }
}
