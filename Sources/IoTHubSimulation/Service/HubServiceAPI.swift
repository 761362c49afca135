import IoTHubCore
import IoTHubSimulationCore
import NIOCore

/// The hub's service side: routes, authorises and carries out IoT Hub service REST requests
/// (registry, C2D send and purge, direct methods, twins) and the device token service against
/// a ``SimulatedHub``. The HTTP server only turns bytes into ``ServiceRequest``s and back.
///
/// Requests are carried out on the hub's event loop, directly on its state machine, so a C2D
/// send costs no thread hops.
public final class HubServiceAPI: Sendable {
    public let hub: SimulatedHub
    /// The token service's function key (`x-functions-key`); `nil` turns the endpoint off.
    public let tokenServiceKey: String?
    private let tokens = VerifiedTokenCache()

    public init(hub: SimulatedHub, tokenServiceKey: String?) {
        self.hub = hub
        self.tokenServiceKey = tokenServiceKey
    }

    /// An answer given at once, or later (a direct method waits for the device).
    enum Answer {
        case now(ServiceResponse)
        case later(EventLoopFuture<ServiceResponse>)
    }

    /// Answers one request. Call on the hub's event loop: the HTTP server does, so a C2D
    /// send is answered without a future.
    func answer(_ request: ServiceRequest) -> Answer {
        hub.loop.assertInEventLoop()
        let route: ServiceRoute
        switch ServiceRouter.route(request) {
        case .rejected(let response): return .now(response)
        case .route(let routed): route = routed
        }
        let driver = hub.driver.value
        let policies = driver.read { $0.registry.policies }
        if let refusal = ServiceAuthorizer.check(
            request,
            route: route,
            policies: policies,
            hostName: hub.configuration.hostName,
            tokenServiceKey: tokenServiceKey,
            now: hub.clock.now(),
            tokenExpiry: hub.configuration.tokenExpiry,
            cache: tokens
        ) {
            return .now(refusal)
        }
        // The token service is the harness's stand-in for the user's own token function, not
        // IoT Hub: a throttled hub does not throttle it.
        if route.requiredPermission != nil, let activation = driver.throttle(route) {
            return .now(.throttled(by: activation))
        }
        if case .invokeMethod(let id, let invocation) = route {
            return .later(driver.invokeMethod(invocation, on: id).map { Self.response(for: $0, device: id) })
        }
        return .now(perform(route, on: driver))
    }

    /// Carries out every route but direct methods, on the hub's loop.
    private func perform(_ route: ServiceRoute, on driver: HubDriver) -> ServiceResponse {
        switch route {
        case .getDevice(let id):
            guard let device = driver.device(id) else { return Self.deviceNotFound(id) }
            return .json(200, deviceJSON(device, driver: driver))
        case .putDevice(let id, let status, let primary, let secondary, let authentication, let replace):
            let existing = driver.device(id)
            if existing != nil, !replace {
                return .error(.deviceAlreadyExists, "A device with ID '\(id)' is already registered.")
            }
            let record = DeviceRecord(
                id: id,
                primaryKey: primary ?? existing?.primaryKey ?? DeviceKey.random(),
                secondaryKey: secondary ?? existing?.secondaryKey,
                status: status,
                authentication: authentication ?? existing?.authentication ?? .sharedAccessKey
            )
            driver.register(record)
            return .json(200, deviceJSON(record, driver: driver))
        case .deleteDevice(let id):
            let found = driver.apply { machine, now in
                let actions = machine.removeDevice(id, at: now)
                return (actions != nil, actions ?? [])
            }
            return found ? .noContent : Self.deviceNotFound(id)
        case .sendCloudToDevice(let id, let message):
            do {
                try driver.enqueue(message, for: id, messageID: message.messageID ?? driver.makeMessageID())
                return .noContent
            } catch {
                return Self.response(for: error)
            }
        case .purgeQueue(let id):
            guard driver.device(id) != nil else { return Self.deviceNotFound(id) }
            let count = driver.purgeQueue(of: id)
            return .json(200, .object(["deviceId": .string(id.string), "moduleId": .null, "totalMessagesPurged": .integer(Int64(count))]))
        case .getTwin(let id):
            guard let device = driver.device(id) else { return Self.deviceNotFound(id) }
            return .json(200, twinJSON(device, driver: driver))
        case .patchTwin(let id, let desired, let tags):
            guard let device = driver.device(id) else { return Self.deviceNotFound(id) }
            _ = driver.apply { machine, now in
                guard let (twin, actions) = machine.updateTwin(of: id, desired: desired, tags: tags, at: now) else { return (DeviceTwin?.none, []) }
                return (twin, actions)
            }
            return .json(200, twinJSON(device, driver: driver))
        case .mintToken(let id, let ttl):
            guard let device = driver.device(id) else { return .text(404, "device '\(id)' is not registered") }
            let token = SASToken.make(
                resource: IoTHubCredentials.deviceResource(hostName: hub.configuration.hostName, deviceID: id),
                key: device.primaryKey,
                expiry: hub.clock.now().unixSeconds + ttl
            )
            return .text(200, token.rendered)
        case .invokeMethod(let id, _):
            return .error(.serverError, "internal: method for \(id) not dispatched")
        }
    }

    static func deviceNotFound(_ id: DeviceID) -> ServiceResponse {
        .error(.deviceNotFound, "Device '\(id)' is not registered.")
    }

    static func response(for result: DirectMethodResult, device id: DeviceID) -> ServiceResponse {
        switch result {
        case .response(let status, let payload):
            .json(200, .object(["status": .integer(Int64(status)), "payload": payload ?? .null]))
        case .deviceNotOnline:
            .error(.deviceNotOnline, "Timed out waiting for device to connect.")
        case .timedOut:
            .error(.gatewayTimeout, "Timed out waiting for the response from device.")
        case .deviceNotFound:
            deviceNotFound(id)
        }
    }

    static func response(for error: CloudToDeviceError) -> ServiceResponse {
        switch error {
        case .deviceNotFound(let id): deviceNotFound(id)
        case .queueFull, .messageTooLarge: .error(error.errorCode, error.description)
        }
    }

    private func deviceJSON(_ device: DeviceRecord, driver: HubDriver) -> JSONValue {
        let (connected, queued) = driver.read { ($0.isConnected(device.id), $0.queueDepth(of: device.id)) }
        return .object([
            "deviceId": .string(device.id.string),
            "moduleId": .null,
            "status": .string(device.status.rawValue),
            "connectionState": .string(connected ? "Connected" : "Disconnected"),
            "cloudToDeviceMessageCount": .integer(Int64(queued)),
            "authentication": Self.authenticationJSON(device),
            "capabilities": .object(["iotEdge": .bool(false)]),
        ])
    }

    /// A device's `authentication` as the service API shows it: keys for SAS devices,
    /// thumbprints for self-signed ones, neither for CA-signed ones.
    static func authenticationJSON(_ device: DeviceRecord) -> JSONValue {
        let noKeys = JSONValue.object(["primaryKey": .null, "secondaryKey": .null])
        let noPrints = JSONValue.object(["primaryThumbprint": .null, "secondaryThumbprint": .null])
        switch device.authentication {
        case .sharedAccessKey:
            return .object([
                "type": .string("sas"),
                "symmetricKey": .object(["primaryKey": .string(device.primaryKey.base64), "secondaryKey": .string(device.secondaryKey.base64)]),
                "x509Thumbprint": noPrints,
            ])
        case .selfSigned(let primary, let secondary):
            return .object([
                "type": .string("selfSigned"),
                "symmetricKey": noKeys,
                "x509Thumbprint": .object(["primaryThumbprint": .string(primary.hex), "secondaryThumbprint": secondary.map { .string($0.hex) } ?? .null]),
            ])
        case .certificateAuthority:
            return .object(["type": .string("certificateAuthority"), "symmetricKey": noKeys, "x509Thumbprint": noPrints])
        }
    }

    private func twinJSON(_ device: DeviceRecord, driver: HubDriver) -> JSONValue {
        let (twin, connected) = driver.read { ($0.twin(of: device.id) ?? DeviceTwin(), $0.isConnected(device.id)) }
        return .object([
            "deviceId": .string(device.id.string),
            "etag": .string("\"\(twin.version)\""),
            "version": .integer(Int64(twin.version)),
            "status": .string(device.status.rawValue),
            "connectionState": .string(connected ? "Connected" : "Disconnected"),
            "tags": .object(twin.tags),
            "properties": twin.deviceView,
        ])
    }
}
