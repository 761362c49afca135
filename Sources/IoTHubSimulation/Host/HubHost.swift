import IoTHubCore
import IoTHubSimulationCore
import MQTTCore
import NIOCore

/// A simulated IoT Hub assembled and running: the hub with its registry and shared access
/// policies, its MQTT listeners, and (when asked for) its service REST API with the token
/// endpoint. `harness hub` and the simulated back end of scenario runs both start one.
public final class HubHost: Sendable {
    /// What to start.
    public struct Settings: Sendable {
        /// The hub's host name (in user names, token scopes and connection strings).
        public var hostName: String
        /// The devices registered at start.
        public var devices: [DeviceRecord]
        /// The shared access policies. Default: none; ``HubHost/builtInPolicies()`` gives a real
        /// hub's five with random keys.
        public var policies: [AccessPolicy] = []
        /// The certificate authorities CA-signed X.509 devices chain to. Default: none.
        public var certificateAuthorities: [RegisteredCertificateAuthority] = []
        /// Where the hub listens for MQTT. Default: TLS with a generated certificate on a free
        /// port of 127.0.0.1.
        public var listeners = HubListeners()
        /// The service REST API and token endpoint, or `nil` for none. Default: `nil`.
        public var service: ServiceSettings?
        /// The token expiry policy. Default: ``TokenExpiryPolicy/realHub``.
        public var tokenExpiry = TokenExpiryPolicy.realHub
        /// The CONNACK a CONNECT gets while the hub throttles (unconfirmed on the real hub).
        public var throttledConnectRefusal = HubConfiguration.ThrottledConnectRefusal.notAuthorized
        /// The Device Provisioning Service on the hub's listener, if any.
        public var provisioning: ProvisioningConfiguration?
        /// Where the MQTT connections run. Default: on the hub's loop (exact event order).
        public var placement = SimulatedHub.ConnectionPlacement.hubLoop
        /// The hub's clock. Default: real time.
        public var clock = HubClock()
        /// Stamps events and packet records. Default: the system monotonic clock.
        public var monotonic: any MonotonicClock = SystemMonotonicClock()
        /// Receives every hub event (on the hub's loop; must not block).
        public var observer: (@Sendable (HubEventRecord) -> Void)?
        /// Receives every packet the hub decodes or encodes.
        public var tap: (any PacketTap)?
        /// Receives every service request and its answer (on the hub's loop; must not block).
        public var requestObserver: (@Sendable (ServiceRequest, ServiceResponse) -> Void)?

        public init(hostName: String, devices: [DeviceRecord] = []) {
            self.hostName = hostName
            self.devices = devices
        }
    }

    /// Where the service HTTP API listens and the token endpoint's key.
    public struct ServiceSettings: Sendable {
        /// The address to bind. Default: `127.0.0.1`.
        public var host: String
        /// The port; 0 picks a free one.
        public var port: Int
        /// The `x-functions-key` of `GET /api/token`.
        public var tokenServiceKey: String

        public init(host: String = "127.0.0.1", port: Int = 0, tokenServiceKey: String) {
            self.host = host
            self.port = port
            self.tokenServiceKey = tokenServiceKey
        }
    }

    /// The running hub.
    public let hub: SimulatedHub
    /// The MQTT listeners it bound.
    public let endpoints: HubEndpoints
    /// `http://host:port` of the service API, when it runs.
    public let serviceURL: String?
    private let server: ServiceHTTPServer?

    private init(hub: SimulatedHub, endpoints: HubEndpoints, serviceURL: String?, server: ServiceHTTPServer?) {
        self.hub = hub
        self.endpoints = endpoints
        self.serviceURL = serviceURL
        self.server = server
    }

    /// The built-in shared access policies of an IoT Hub, with random keys: `iothubowner`
    /// first, then `service`, `device`, `registryRead` and `registryReadWrite`.
    public static func builtInPolicies() -> [AccessPolicy] {
        [
            AccessPolicy(name: "iothubowner", primaryKey: .random(), permissions: Set(AccessPolicy.Permission.allCases)),
            AccessPolicy(name: "service", primaryKey: .random(), permissions: [.serviceConnect]),
            AccessPolicy(name: "device", primaryKey: .random(), permissions: [.deviceConnect]),
            AccessPolicy(name: "registryRead", primaryKey: .random(), permissions: [.registryRead]),
            AccessPolicy(name: "registryReadWrite", primaryKey: .random(), permissions: [.registryRead, .registryWrite]),
        ]
    }

    /// Starts the hub, its listeners and its service API.
    /// - Throws: a listener or TLS setup error; nothing is left running then.
    public static func start(_ settings: Settings, group: any EventLoopGroup) async throws -> HubHost {
        let hub = SimulatedHub(
            configuration: {
                var configuration = HubConfiguration(hostName: settings.hostName, tokenExpiry: settings.tokenExpiry)
                configuration.throttledConnectRefusal = settings.throttledConnectRefusal
                configuration.provisioning = settings.provisioning
                return configuration
            }(),
            registry: DeviceRegistry(devices: settings.devices, policies: settings.policies, certificateAuthorities: settings.certificateAuthorities),
            group: group,
            clock: settings.clock,
            monotonic: settings.monotonic,
            observer: settings.observer,
            tap: settings.tap,
            connections: settings.placement
        )
        let endpoints = try await hub.start(settings.listeners)
        guard let service = settings.service else { return HubHost(hub: hub, endpoints: endpoints, serviceURL: nil, server: nil) }
        let server = ServiceHTTPServer(api: HubServiceAPI(hub: hub, tokenServiceKey: service.tokenServiceKey), observer: settings.requestObserver)
        do {
            let port = try await server.start(host: service.host, port: service.port)
            return HubHost(hub: hub, endpoints: endpoints, serviceURL: "http://\(service.host):\(port)", server: server)
        } catch {
            await hub.stop()
            throw error
        }
    }

    /// Stops the service API and the hub (every connection closes).
    public func stop() async {
        await server?.stop()
        await hub.stop()
    }
}
