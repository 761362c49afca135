import IoTHubCore
import NIOCore

/// The hub's service side: routes, authorises and carries out IoT Hub service REST requests
/// (registry, C2D send and purge, direct methods, twins) and the device token service against
/// a ``SimulatedHub``. The HTTP server only turns bytes into ``ServiceRequest``s and back.
public final class HubServiceAPI: Sendable {
    public let hub: SimulatedHub
    /// The token service's function key (`x-functions-key`); `nil` turns the endpoint off.
    public let tokenServiceKey: String?

    public init(hub: SimulatedHub, tokenServiceKey: String?) {
        self.hub = hub
        self.tokenServiceKey = tokenServiceKey
    }

    /// Answers one request.
    public func respond(to request: ServiceRequest) async -> ServiceResponse {
        let route: ServiceRoute
        switch ServiceRouter.route(request) {
        case .rejected(let response): return response
        case .route(let routed): route = routed
        }
        do {
            let policies = try await hub.policies()
            if let refusal = ServiceAuthorizer.check(
                request,
                route: route,
                policies: policies,
                hostName: hub.configuration.hostName,
                tokenServiceKey: tokenServiceKey,
                now: hub.now(),
                allowingSkew: hub.configuration.connectClockSkew
            ) {
                return refusal
            }
            return try await perform(route)
        } catch {
            return .error(500, code: "ServerError", "\(error)")
        }
    }

    private func perform(_ route: ServiceRoute) async throws -> ServiceResponse {
        switch route {
        case .getDevice(let id):
            guard let device = try await hub.device(id) else { return deviceNotFound(id) }
            return .json(200, try await deviceJSON(device))
        case .putDevice(let id, let status, let primary, let secondary, let replace):
            let existing = try await hub.device(id)
            if existing != nil, !replace {
                return .error(409, code: "DeviceAlreadyExists", "A device with ID '\(id)' is already registered.")
            }
            let record = DeviceRecord(
                id: id,
                primaryKey: primary ?? existing?.primaryKey ?? DeviceKey.random(),
                secondaryKey: secondary ?? existing?.secondaryKey,
                status: status
            )
            try await hub.register(record)
            return .json(200, try await deviceJSON(record))
        case .deleteDevice(let id):
            guard try await hub.removeDevice(id) else { return deviceNotFound(id) }
            return .noContent
        case .sendCloudToDevice(let id, let message):
            do {
                try await hub.sendCloudToDevice(message, to: id)
                return .noContent
            } catch let error as CloudToDeviceError {
                return Self.response(for: error)
            }
        case .purgeQueue(let id):
            guard try await hub.device(id) != nil else { return deviceNotFound(id) }
            let count = try await hub.purgeQueue(of: id)
            return .json(200, .object(["deviceId": .string(id.string), "moduleId": .null, "totalMessagesPurged": .integer(Int64(count))]))
        case .invokeMethod(let id, let request):
            switch try await hub.invokeMethod(request, on: id) {
            case .response(let status, let payload):
                return .json(200, .object(["status": .integer(Int64(status)), "payload": payload ?? .null]))
            case .deviceNotOnline:
                return .error(404, code: "DeviceNotOnline", "Timed out waiting for device to connect.")
            case .timedOut:
                return .error(504, code: "GatewayTimeout", "Timed out waiting for the response from device.")
            case .deviceNotFound:
                return deviceNotFound(id)
            }
        case .getTwin(let id):
            guard let device = try await hub.device(id) else { return deviceNotFound(id) }
            return .json(200, try await twinJSON(device))
        case .patchTwin(let id, let desired, let tags):
            guard let device = try await hub.device(id) else { return deviceNotFound(id) }
            try await hub.updateTwin(of: id, desired: desired, tags: tags)
            return .json(200, try await twinJSON(device))
        case .mintToken(let id, let ttl):
            guard let device = try await hub.device(id) else { return .text(404, "device '\(id)' is not registered") }
            let token = SASToken.make(
                resource: IoTHubCredentials.deviceResource(hostName: hub.configuration.hostName, deviceID: id),
                key: device.primaryKey,
                expiry: hub.now().unixSeconds + ttl
            )
            return .text(200, token.rendered)
        }
    }

    private func deviceNotFound(_ id: DeviceID) -> ServiceResponse {
        .error(404, code: "DeviceNotFound", "Device '\(id)' is not registered.")
    }

    static func response(for error: CloudToDeviceError) -> ServiceResponse {
        switch error {
        case .deviceNotFound(let id): .error(404, code: "DeviceNotFound", "Device '\(id)' is not registered.")
        case .queueFull: .error(403, code: "DeviceMaximumQueueDepthExceeded", error.description)
        case .messageTooLarge: .error(413, code: "MessageTooLarge", error.description)
        case .invalidTimeToLive: .error(400, code: "ArgumentInvalid", error.description)
        }
    }

    private func deviceJSON(_ device: DeviceRecord) async throws -> JSONValue {
        let connected = try await hub.isConnected(device.id)
        let queued = try await hub.queueDepth(of: device.id)
        return .object([
            "deviceId": .string(device.id.string),
            "moduleId": .null,
            "status": .string(device.status.rawValue),
            "connectionState": .string(connected ? "Connected" : "Disconnected"),
            "cloudToDeviceMessageCount": .integer(Int64(queued)),
            "authentication": .object([
                "type": .string("sas"),
                "symmetricKey": .object(["primaryKey": .string(device.primaryKey.base64), "secondaryKey": .string(device.secondaryKey.base64)]),
                "x509Thumbprint": .object(["primaryThumbprint": .null, "secondaryThumbprint": .null]),
            ]),
            "capabilities": .object(["iotEdge": .bool(false)]),
        ])
    }

    private func twinJSON(_ device: DeviceRecord) async throws -> JSONValue {
        let twin = try await hub.twin(of: device.id)
        let connected = try await hub.isConnected(device.id)
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
