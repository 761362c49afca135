import Foundation
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import NIOCore

/// A running `harness hub`: the simulated hub with its listeners, the service HTTP API with
/// the token endpoint, and the state file that lets `harness send` find it.
final class HubSession: Sendable {
    /// What to start.
    struct Settings: Sendable {
        var hostName: String
        var bindHost = "127.0.0.1"
        var tlsPort: Int? = 8883
        var plainPort: Int?
        /// The MQTT-over-WebSockets port (over TLS); `nil` for none.
        var webSocketPort: Int?
        var tls = HubTLSConfiguration()
        var servicePort = 0
        var devices: [DeviceArgument]
        /// Devices that authenticate with X.509 certificates.
        var x509Devices: [X509DeviceArgument] = []
        /// The verified CAs CA-signed devices chain to.
        var certificateAuthorities: [RegisteredCertificateAuthority] = []
        var tokenServiceKey: String
        var stateFilePath: String?
        var gatewayHostName = "localhost"
        var tokenExpiry = TokenExpiryPolicy.realHub
        var throttledConnectRefusal = HubConfiguration.ThrottledConnectRefusal.notAuthorized
        /// The Device Provisioning Service on the hub's listener, if any.
        var provisioning: ProvisioningConfiguration?
    }

    let host: HubHost
    let serviceURL: String
    let state: HubStateFile
    let stateFilePath: String?
    let owner: AccessPolicy
    let x509Devices: [X509DeviceArgument]
    let certificateAuthorities: [String]
    let gatewayHostName: String

    var hub: SimulatedHub { host.hub }
    var endpoints: HubEndpoints { host.endpoints }

    private init(
        host: HubHost,
        serviceURL: String,
        state: HubStateFile,
        stateFilePath: String?,
        owner: AccessPolicy,
        x509Devices: [X509DeviceArgument],
        certificateAuthorities: [String],
        gatewayHostName: String
    ) {
        self.host = host
        self.serviceURL = serviceURL
        self.state = state
        self.stateFilePath = stateFilePath
        self.owner = owner
        self.x509Devices = x509Devices
        self.certificateAuthorities = certificateAuthorities
        self.gatewayHostName = gatewayHostName
    }

    /// Starts everything and writes the state file.
    static func start(_ settings: Settings, group: any EventLoopGroup, log: HubLog) async throws -> HubSession {
        let policies = HubHost.builtInPolicies()
        guard let owner = policies.first else { preconditionFailure("the built-in policies include iothubowner") }
        let records = settings.devices.map { DeviceRecord(id: $0.id, primaryKey: $0.key ?? .random()) }
            + settings.x509Devices.map { DeviceRecord(id: $0.id, primaryKey: .random(), authentication: $0.authentication) }
        for policy in policies { log.register(secret: policy.primaryKey.base64); log.register(secret: policy.secondaryKey.base64) }
        for record in records { log.register(secret: record.primaryKey.base64); log.register(secret: record.secondaryKey.base64) }
        log.register(secret: settings.tokenServiceKey)
        var hostSettings = HubHost.Settings(hostName: settings.hostName, devices: records)
        hostSettings.policies = policies
        hostSettings.certificateAuthorities = settings.certificateAuthorities
        hostSettings.listeners = HubListeners(host: settings.bindHost, tls: settings.tlsPort == nil ? nil : settings.tls, tlsPort: settings.tlsPort ?? 0, plainPort: settings.plainPort, webSocketPort: settings.webSocketPort)
        hostSettings.service = HubHost.ServiceSettings(host: "127.0.0.1", port: settings.servicePort, tokenServiceKey: settings.tokenServiceKey)
        hostSettings.tokenExpiry = settings.tokenExpiry
        hostSettings.throttledConnectRefusal = settings.throttledConnectRefusal
        hostSettings.provisioning = settings.provisioning
        for enrollment in settings.provisioning?.individualEnrollments ?? [] { log.register(secret: enrollment.primaryKey.base64) }
        for group in settings.provisioning?.groupEnrollments ?? [] { log.register(secret: group.primaryKey.base64) }
        // TLS and sockets on a second core: about 15% more C2D per second in `bench hub`.
        hostSettings.placement = .separateLoop
        // Quiet (benchmarks): no observers at all, so nothing is built per message for them.
        if log.showsEvents {
            hostSettings.observer = { @Sendable record in log.event(record) }
            hostSettings.requestObserver = { @Sendable request, response in log.request(request, response) }
        }
        hostSettings.tap = log.showsPackets ? log : nil
        let host = try await HubHost.start(hostSettings, group: group)
        guard let serviceURL = host.serviceURL else { preconditionFailure("the hub host was started with its service API") }
        var devices: [String: String] = [:]
        for record in records where !record.authentication.usesCertificate {
            devices[record.id.string] = ConnectionString(
                hostName: settings.hostName,
                deviceID: record.id.string,
                sharedAccessKey: record.primaryKey,
                gatewayHostName: settings.gatewayHostName
            ).rendered
        }
        let state = HubStateFile(
            pid: getpid(),
            hostName: settings.hostName,
            serviceURL: serviceURL,
            policyName: owner.name,
            policyKey: owner.primaryKey.base64,
            tlsPort: host.endpoints.tlsPort,
            plainPort: host.endpoints.plainPort,
            caCertificatePath: host.endpoints.caCertificatePath,
            tokenServiceURL: "\(serviceURL)/api/token",
            tokenServiceKey: settings.tokenServiceKey,
            devices: devices
        )
        if let path = settings.stateFilePath {
            do {
                try state.write(to: path)
            } catch {
                await host.stop()
                throw InvalidInput(description: "error: cannot write the state file \(path): \(error)")
            }
        }
        return HubSession(
            host: host,
            serviceURL: serviceURL,
            state: state,
            stateFilePath: settings.stateFilePath,
            owner: owner,
            x509Devices: settings.x509Devices,
            certificateAuthorities: settings.certificateAuthorities.map(\.name).sorted(),
            gatewayHostName: settings.gatewayHostName
        )
    }

    /// The start-up banner: listeners, CA, service URLs and each device's connection string
    /// (keys masked unless `showKeys`).
    func banner(showKeys: Bool) -> [String] {
        var lines = ["harness hub: simulated Azure IoT Hub \(state.hostName)"]
        if let port = endpoints.tlsPort {
            lines.append("  MQTT over TLS:         \(endpoints.host):\(port), TLS profile \(endpoints.tlsProfile?.description ?? "strict")")
            lines.append("  client certificates:   asked for in the handshake, judged at CONNECT (X.509 devices)")
        }
        if let port = endpoints.webSocketPort {
            let scheme = endpoints.webSocketUsesTLS ? "wss" : "ws"
            lines.append("  MQTT over WebSockets:  \(scheme)://\(endpoints.host):\(port)/$iothub/websocket (subprotocol mqtt)")
        }
        if let port = endpoints.plainPort { lines.append("  MQTT over plain TCP:   \(endpoints.host):\(port)") }
        if let ca = endpoints.caCertificatePath { lines.append("  CA certificate:        \(ca)") }
        if let intermediate = endpoints.intermediateCertificatePath {
            lines.append("  server chain:          root (the CA certificate) -> intermediate \(intermediate) -> server; trust the root, never pin the intermediate")
        }
        for name in certificateAuthorities { lines.append("  X.509 CA (verified):   \(name)") }
        lines.append("  service REST API:      \(serviceURL) (shared access policy \(owner.name))")
        lines.append("  token endpoint:        \(serviceURL)/api/token?device={id}&ttl={seconds} (header x-functions-key)")
        let policy = hub.configuration.tokenExpiry
        lines.append("  SAS tokens:            accepted up to \(policy.clockSkewSeconds) s past expiry; connections dropped \(policy.graceSeconds) s past it")
        let throttled = hub.configuration.throttledConnectRefusal.returnCode
        lines.append("  while throttling:      CONNECT refused with CONNACK \(throttled.rawValue) (\(throttled.name)); --throttle-connack sets 3 or 5")
        if let path = stateFilePath { lines.append("  state file:            \(path) (mode 0600; holds the keys)") }
        if let key = state.tokenServiceKey {
            let keyHome = stateFilePath == nil ? "--show-keys prints it" : "in the state file; --show-keys prints it"
            lines.append("  token service key:     \(showKeys ? key : "*** (\(keyHome))")")
        }
        for (id, connectionString) in state.devices.sorted(by: { $0.key < $1.key }) {
            let shown = showKeys ? connectionString : ((try? ConnectionString(parsing: connectionString))?.description ?? connectionString)
            lines.append("  device \(id): \(shown)")
        }
        for device in x509Devices.sorted(by: { $0.id.string < $1.id.string }) {
            let how: String
            switch device.authentication {
            case .selfSigned(let primary, let secondary):
                how = "X.509 self-signed, thumbprint \(primary)" + (secondary.map { " (secondary \($0))" } ?? "")
            default:
                how = "X.509 CA-signed, certificate CN=\(device.id)"
            }
            lines.append("  device \(device.id) (\(how)): HostName=\(state.hostName);DeviceId=\(device.id);x509=true")
            lines.append("    connect with its certificate and key, e.g. Python: IoTHubDeviceClient.create_from_x509_certificate(x509=X509(cert_file, key_file), hostname=\"\(state.hostName)\", device_id=\"\(device.id)\", gateway_hostname=\"\(gatewayHostName)\", server_verification_cert=<CA certificate text>)")
        }
        lines += provisioningBanner(showKeys: showKeys)
        return lines
    }

    /// The banner's Device Provisioning Service lines: the scope, where it listens, and how a
    /// device of each enrollment registers.
    private func provisioningBanner(showKeys: Bool) -> [String] {
        guard let dps = hub.configuration.provisioning else { return [] }
        var lines = [
            "  Device Provisioning:   ID scope \(dps.idScope) on the MQTT listener (provisioning host \(gatewayHostName), port \(endpoints.tlsPort.map(String.init) ?? "none")); assigns devices to \(state.hostName)"
        ]
        if endpoints.tlsPort != 8883 { lines.append("    note: the SDKs dial the provisioning host on 8883 (--port 8883)") }
        func key(_ value: DeviceKey) -> String { showKeys ? value.base64 : "***" }
        for enrollment in dps.individualEnrollments {
            lines.append("  DPS enrollment \(enrollment.registrationID) (individual, symmetric key \(key(enrollment.primaryKey)))")
            lines.append(
                "    register, e.g. Python: ProvisioningDeviceClient.create_from_symmetric_key(provisioning_host=\"\(gatewayHostName)\", registration_id=\"\(enrollment.registrationID)\", id_scope=\"\(dps.idScope)\", symmetric_key=<key>, server_verification_cert=<CA certificate text>).register(), then IoTHubDeviceClient.create_from_symmetric_key(<key>, hostname=<assigned hub>, device_id=<device id>, gateway_hostname=\"\(gatewayHostName)\", server_verification_cert=<CA certificate text>)"
            )
        }
        for group in dps.groupEnrollments {
            lines.append("  DPS group \(group.name) (symmetric key \(key(group.primaryKey))): a device's key is base64(HMAC-SHA256(group key, registration id)); register as for an individual enrollment with that key")
        }
        for enrollment in dps.x509IndividualEnrollments {
            lines.append("  DPS enrollment \(enrollment.registrationID) (X.509, thumbprint \(enrollment.primary)\(enrollment.secondary.map { ", secondary \($0)" } ?? "")): its certificate's common name is \(enrollment.registrationID)")
        }
        for group in dps.x509GroupEnrollments {
            lines.append("  DPS group \(group.name) (X.509, CA \(group.authority.name)): devices whose certificate the CA signed, common name = registration id")
        }
        if !dps.x509IndividualEnrollments.isEmpty || !dps.x509GroupEnrollments.isEmpty {
            lines.append(
                "    register, e.g. Python: ProvisioningDeviceClient.create_from_x509_certificate(provisioning_host=\"\(gatewayHostName)\", registration_id=<common name>, id_scope=\"\(dps.idScope)\", x509=X509(cert_file, key_file), server_verification_cert=<CA certificate text>).register(); the hub then knows the device by that certificate"
            )
        }
        return lines
    }

    /// Stops the hub and the API and removes the state file if it is still this process's.
    func stop() async {
        await host.stop()
        if let path = stateFilePath, let current = try? HubStateFile.read(from: path), current.pid == state.pid, current.serviceURL == state.serviceURL {
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
