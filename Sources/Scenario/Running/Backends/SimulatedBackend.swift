import Devices
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTClient
import MQTTCore
import NIOCore
import NIOPosix

/// The embedded simulated IoT Hub as a run's backend: started for the run on free loopback
/// ports (TLS with a generated CA unless the target says `tls: false`), with the run's devices
/// registered; its events and packets go to the run's timeline.
struct SimulatedBackend: HubBackend, HubSimulationControls {
    let host: HubHost
    let endpoint: DeviceEndpoint
    let hostName: String
    /// The hub's token endpoint (`token_service: hub`), when a device uses it.
    let tokenService: DeviceSpec.TokenServiceSpec?
    /// The hub's own event loop, for a fleet run: with thousands of devices on the run's
    /// loops, the hub's work would wait behind theirs (C2D p99 533 ms against 15-33 ms at
    /// 9,000 devices). Shut down with the hub.
    let ownGroup: MultiThreadedEventLoopGroup?

    var hub: SimulatedHub { host.hub }
    var iotHubHostName: String? { hostName }
    var wallClock: any WallClock { HubWallClock(clock: hub.clock) }
    var secrets: [String] { tokenService.map { [$0.key] } ?? [] }

    /// Starts a hub with `keys` registered as the devices' primary keys; the devices in
    /// `certificates` (their `cert_file`) are registered for X.509 authentication.
    static func start(
        _ target: SimulatedHubTarget,
        keys: [DeviceID: DeviceKey],
        certificates: [DeviceID: String] = [:],
        servesTokens: Bool = false,
        ownLoop: Bool = false,
        environment: RunEnvironment,
        record: RunRecord
    ) async throws -> SimulatedBackend {
        let authority = try target.x509CAFile.map { path in
            do { return try CertificateFiles.certificateAuthority(at: path) } catch { throw SessionError(description: "x509_ca: \(error)") }
        }
        var authentications: [DeviceID: DeviceAuthentication] = [:]
        for (id, path) in certificates { authentications[id] = try x509Authentication(of: path, authority: authority) }
        var settings = HubHost.Settings(
            hostName: target.hostName,
            devices: keys.sorted { $0.key.string < $1.key.string }.map {
                DeviceRecord(id: $0.key, primaryKey: $0.value, authentication: authentications[$0.key] ?? .sharedAccessKey)
            }
        )
        settings.certificateAuthorities = authority.map { [$0] } ?? []
        settings.provisioning = try target.provisioning.map(provisioningConfiguration)
        // The next root is made at start, so a device can be given it (trusted_roots) before
        // a ca_rotation fault moves the hub to it.
        // WebSockets on a free port beside TLS (or plain TCP), for `transport: websockets`.
        settings.listeners = target.tls
            ? HubListeners(tls: HubTLSConfiguration(profile: target.tlsProfile == .legacy ? .legacy : .strict, preparesNextRoot: true), webSocketPort: 0)
            : HubListeners(tls: nil, plainPort: 0, webSocketPort: 0)
        settings.throttledConnectRefusal = target.throttleConnAck == .serverUnavailable ? .serverUnavailable : .notAuthorized
        settings.clock = HubClock(monotonic: environment.clock)
        settings.monotonic = environment.clock
        settings.observer = { event in
            if let entry = RunEvent(event.event) { record.append(entry, at: event.timestamp) }
        }
        settings.tap = RecordTap(runRecord: record, vantage: .hub, device: nil)
        // The hub's token endpoint (GET /api/token?device=&ttl= with x-functions-key), as the
        // seed's planned Azure Function: tokens minted on the hub's clock.
        let tokenKey = (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
        if servesTokens { settings.service = HubHost.ServiceSettings(host: settings.listeners.host, port: 0, tokenServiceKey: tokenKey) }
        let ownGroup = ownLoop ? MultiThreadedEventLoopGroup(numberOfThreads: 1) : nil
        let host: HubHost
        do {
            host = try await HubHost.start(settings, group: ownGroup ?? environment.group)
        } catch {
            try? await ownGroup?.shutdownGracefully()
            throw error
        }
        let endpoints = host.endpoints
        var endpoint: DeviceEndpoint
        if target.tls, let port = endpoints.tlsPort {
            // The generated certificate names localhost and 127.0.0.1; devices check it against
            // the name they send, as they would check the real hub's name.
            endpoint = DeviceEndpoint(host: endpoints.host, port: port, tls: ClientTLS(caFile: endpoints.caCertificatePath, serverName: "localhost"))
        } else {
            endpoint = DeviceEndpoint(host: endpoints.host, port: endpoints.plainPort ?? 0, tls: nil)
        }
        endpoint.webSocketPort = endpoints.webSocketPort
        let tokenService = host.serviceURL.map { DeviceSpec.TokenServiceSpec(url: "\($0)/api/token", key: tokenKey) }
        return SimulatedBackend(host: host, endpoint: endpoint, hostName: target.hostName, tokenService: tokenService, ownGroup: ownGroup)
    }

    func sendCloudToDevice(_ message: CloudToDeviceMessage, to device: DeviceID, timeout: Duration) async throws -> CloudToDeviceOutcome {
        do {
            try await hub.sendCloudToDevice(message, to: device)
            return .accepted
        } catch let error as CloudToDeviceError {
            return .refused(code: error.errorCode.rawValue, reason: error.descriptionWithCode)
        }
    }

    var simulation: (any HubSimulationControls)? { self }

    func advanceClock(by duration: Duration) async throws {
        try await hub.advanceClock(by: duration)
    }

    func expireToken(of device: DeviceID) async throws -> Bool {
        try await hub.expireToken(of: device) != nil
    }

    func regenerateKeys(of device: DeviceID) async throws {
        _ = try await hub.regenerateKeys(of: device)
    }

    func startFault(_ fault: FaultKind, device: DeviceID?) async throws {
        if let certificate = HubCertificateFault(fault) {
            try hub.startCertificateFault(certificate)
        } else {
            try await hub.startFault(try HubFault(fault), device: device)
        }
    }

    func endFault(_ fault: FaultKind, device: DeviceID?) async throws {
        if let certificate = HubCertificateFault(fault) {
            hub.endCertificateFault(certificate)
        } else {
            try await hub.endFault(try HubFault(fault), device: device)
        }
    }

    func rootCertificateFile(_ roots: DeviceSpec.TrustedRoots) throws -> String {
        let endpoints = host.endpoints
        let file: String?
        switch roots {
        case .current: file = endpoints.caCertificatePath
        case .next: file = endpoints.nextRootCertificatePath
        case .both: file = endpoints.rootBundlePath
        }
        guard let file else {
            throw SessionError(description: "trusted_roots: \(roots.rawValue) needs the simulated hub over TLS with its next root prepared; it has none")
        }
        return file
    }

    func stop() async {
        await host.stop()
        try? await ownGroup?.shutdownGracefully()
    }
}

/// The simulated hub's clock as the devices' wall clock: jumps of the hub's clock
/// (`advance_clock`, `expire_token`) reach the devices' timers and token expiry too.
struct HubWallClock: WallClock {
    let clock: HubClock

    func unixNanoseconds() -> Int64 { clock.now().nanosecondsSince1970 }
}

extension HubFault {
    /// The hub's fault for a scenario's hub fault.
    /// - Throws: ``FaultError`` for a network fault, which the hub does not carry out.
    init(_ kind: FaultKind) throws(FaultError) {
        switch kind {
        case .restart: self = .restart
        case .throttle: self = .throttle
        case .authError: self = .authError
        case .quotaExceeded: self = .quotaExceeded
        case .drop, .close, .blackhole, .delay, .bandwidth, .slice, .refuse, .partition:
            throw FaultError(description: "'\(kind.name)' is a network fault, not one of the hub's")
        case .certificateExpired, .certificateWrongName, .certificateUntrusted, .caRotation:
            throw FaultError(description: "'\(kind.name)' is a certificate fault, carried out by the hub's TLS listener")
        case .clockSkew:
            throw FaultError(description: "'\(kind.name)' skews a device's clock, not the hub")
        }
    }
}

extension HubCertificateFault {
    /// The hub's certificate fault for a scenario's; `nil` for every other kind.
    init?(_ kind: FaultKind) {
        switch kind {
        case .certificateExpired: self = .expired
        case .certificateWrongName: self = .wrongName
        case .certificateUntrusted: self = .untrusted
        case .caRotation: self = .rotatedRoot
        default: return nil
        }
    }
}
