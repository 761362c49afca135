import IoTHubCore
import NIOCore

/// What a service request asks the hub to do, parsed and validated from the request alone.
public enum ServiceRoute: Sendable, Hashable {
    /// `PUT /devices/{id}`: create, or replace when `If-Match` is given.
    case putDevice(DeviceID, DeviceRecord.Status, primaryKey: DeviceKey?, secondaryKey: DeviceKey?, authentication: DeviceAuthentication?, replace: Bool)
    /// `GET /devices/{id}`.
    case getDevice(DeviceID)
    /// `DELETE /devices/{id}`.
    case deleteDevice(DeviceID)
    /// `POST /devices/{id}/messages/deviceBound`.
    case sendCloudToDevice(DeviceID, CloudToDeviceMessage)
    /// `DELETE /devices/{id}/commands`.
    case purgeQueue(DeviceID)
    /// `POST /twins/{id}/methods`.
    case invokeMethod(DeviceID, DirectMethodRequest)
    /// `GET /twins/{id}`.
    case getTwin(DeviceID)
    /// `PATCH /twins/{id}` with `{"properties": {"desired": {...}}, "tags": {...}}`.
    case patchTwin(DeviceID, desired: [String: JSONValue]?, tags: [String: JSONValue]?)
    /// `GET /api/token?device={id}&ttl={seconds}`: the token service (needs `x-functions-key`).
    case mintToken(DeviceID, timeToLive: Int64)

    /// The shared access policy permission the route needs (`nil` for the token service).
    public var requiredPermission: AccessPolicy.Permission? {
        switch self {
        case .getDevice: .registryRead
        case .putDevice, .deleteDevice: .registryWrite
        case .sendCloudToDevice, .purgeQueue, .invokeMethod, .getTwin, .patchTwin: .serviceConnect
        case .mintToken: nil
        }
    }

    /// The device the request names.
    public var deviceID: DeviceID {
        switch self {
        case .putDevice(let id, _, _, _, _, _), .getDevice(let id), .deleteDevice(let id), .sendCloudToDevice(let id, _), .purgeQueue(let id),
            .invokeMethod(let id, _), .getTwin(let id), .patchTwin(let id, _, _), .mintToken(let id, _):
            id
        }
    }

    /// The operation's name in the hub's events, for example `sendCloudToDevice`.
    public var operationName: String {
        switch self {
        case .putDevice: "putDevice"
        case .getDevice: "getDevice"
        case .deleteDevice: "deleteDevice"
        case .sendCloudToDevice: "sendCloudToDevice"
        case .purgeQueue: "purgeQueue"
        case .invokeMethod: "invokeMethod"
        case .getTwin: "getTwin"
        case .patchTwin: "patchTwin"
        case .mintToken: "mintToken"
        }
    }
}

/// A routed request, or the error response it gets.
public enum RouteOutcome: Sendable, Hashable {
    /// The request is well formed and asks for this operation.
    case route(ServiceRoute)
    /// The request is refused with this response (400, 404 or 405).
    case rejected(ServiceResponse)
}

/// Turns a ``ServiceRequest`` into a ``ServiceRoute``, or into the error response the service
/// gives for it. Pure: no hub state is read.
public enum ServiceRouter {
    /// The longest token lifetime the token service mints: 365 days.
    public static let maximumTokenTTL: Int64 = 365 * 24 * 3600

    /// Routes a request.
    public static func route(_ request: ServiceRequest) -> RouteOutcome {
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if segments == ["api", "token"] {
            guard request.method == "GET" else { return .rejected(methodNotAllowed(request)) }
            return tokenRoute(request)
        }
        guard segments.count >= 2, segments[0] == "devices" || segments[0] == "twins" else {
            return .rejected(.error(.notFound, "no service operation at \(request.path)"))
        }
        guard request.query["api-version"].map({ !$0.isEmpty }) == true else {
            return .rejected(.error(.invalidProtocolVersion, "the api-version query parameter is missing"))
        }
        let idText = (try? PercentEncoding.decode(segments[1])) ?? segments[1]
        let deviceID: DeviceID
        do {
            deviceID = try DeviceID(idText)
        } catch {
            return .rejected(.error(.argumentInvalid, "\(error)"))
        }
        let rest = segments.dropFirst(2).joined(separator: "/").lowercased()
        switch (segments[0], rest, request.method) {
        case ("devices", "", "GET"): return .route(.getDevice(deviceID))
        case ("devices", "", "DELETE"): return .route(.deleteDevice(deviceID))
        case ("devices", "", "PUT"): return putDevice(deviceID, request)
        case ("devices", "messages/devicebound", "POST"): return cloudToDevice(deviceID, request)
        case ("devices", "commands", "DELETE"): return .route(.purgeQueue(deviceID))
        case ("twins", "methods", "POST"): return method(deviceID, request)
        case ("twins", "", "GET"): return .route(.getTwin(deviceID))
        case ("twins", "", "PATCH"): return patchTwin(deviceID, request)
        case ("devices", "", _), ("devices", "commands", _), ("devices", "messages/devicebound", _), ("twins", "", _), ("twins", "methods", _):
            return .rejected(methodNotAllowed(request))
        default:
            return .rejected(.error(.notFound, "no service operation at \(request.path)"))
        }
    }

    private static func methodNotAllowed(_ request: ServiceRequest) -> ServiceResponse {
        .error(.methodNotAllowed, "\(request.method) is not supported on \(request.path)")
    }

    private static func badBody(_ text: String) -> ServiceResponse {
        .error(.argumentInvalid, text)
    }

    private static func jsonObject(_ request: ServiceRequest) -> [String: JSONValue]? {
        guard let value = try? JSONValue(parsing: request.body) else { return nil }
        return value.objectValue
    }

    private static func putDevice(_ id: DeviceID, _ request: ServiceRequest) -> RouteOutcome {
        let body = request.body.isEmpty ? [:] : jsonObject(request)
        guard let body else { return .rejected(badBody("the device body is not a JSON object")) }
        if case .string(let bodyID) = body["deviceId"], bodyID != id.string {
            return .rejected(badBody("deviceId '\(bodyID)' in the body differs from '\(id)' in the path"))
        }
        var status = DeviceRecord.Status.enabled
        if case .string(let text) = body["status"] {
            guard let parsed = DeviceRecord.Status(rawValue: text) else { return .rejected(badBody("status must be enabled or disabled")) }
            status = parsed
        }
        var keys: (DeviceKey?, DeviceKey?) = (nil, nil)
        var method: DeviceAuthentication?
        if case .object(let authentication) = body["authentication"] {
            switch deviceAuthentication(authentication) {
            case .success(let parsed): method = parsed
            case .failure(let problem): return .rejected(badBody(problem.description))
            }
        }
        if case .object(let authentication) = body["authentication"], case .object(let symmetric) = authentication["symmetricKey"] {
            do {
                if case .string(let text) = symmetric["primaryKey"] { keys.0 = try DeviceKey(base64: text) }
                if case .string(let text) = symmetric["secondaryKey"] { keys.1 = try DeviceKey(base64: text) }
            } catch {
                return .rejected(badBody("\(error)"))
            }
        }
        return .route(.putDevice(id, status, primaryKey: keys.0, secondaryKey: keys.1, authentication: method, replace: request.header("If-Match") != nil))
    }

    /// The `authentication` of a device body as the service API gives it: `type` `sas`,
    /// `selfSigned` (with `x509Thumbprint`) or `certificateAuthority`; `nil` when no type is
    /// given.
    private static func deviceAuthentication(_ authentication: [String: JSONValue]) -> Result<DeviceAuthentication?, ServiceBodyProblem> {
        guard case .string(let type) = authentication["type"] else { return .success(nil) }
        switch type {
        case "sas":
            return .success(.sharedAccessKey)
        case "certificateAuthority":
            return .success(.certificateAuthority)
        case "selfSigned":
            guard case .object(let prints) = authentication["x509Thumbprint"], case .string(let primary) = prints["primaryThumbprint"] else {
                return .failure(ServiceBodyProblem(description: "a selfSigned device needs authentication.x509Thumbprint.primaryThumbprint"))
            }
            do {
                var secondary: CertificateThumbprint?
                if case .string(let text) = prints["secondaryThumbprint"] { secondary = try CertificateThumbprint(parsing: text) }
                return .success(.selfSigned(primary: try CertificateThumbprint(parsing: primary), secondary: secondary))
            } catch {
                return .failure(ServiceBodyProblem(description: "\(error)"))
            }
        default:
            return .failure(ServiceBodyProblem(description: "authentication.type must be sas, selfSigned or certificateAuthority, not '\(type)'"))
        }
    }

    /// The message from the body and the `iothub-*` headers the service SDKs send; the
    /// acknowledgement and the time to live are validated here, once.
    private static func cloudToDevice(_ id: DeviceID, _ request: ServiceRequest) -> RouteOutcome {
        var message = CloudToDeviceMessage(payload: ByteBuffer(bytes: request.body))
        message.messageID = request.header("iothub-messageid")
        message.correlationID = request.header("iothub-correlationid")
        message.userID = request.header("iothub-userid")
        message.contentType = request.header("iothub-contenttype")
        message.contentEncoding = request.header("iothub-contentencoding")
        if let ack = request.header("iothub-ack") {
            guard let acknowledgement = CloudToDeviceMessage.Acknowledgement(rawValue: ack.lowercased()) else {
                return .rejected(badBody("iothub-ack must be \(CloudToDeviceMessage.Acknowledgement.spellingsInWords)"))
            }
            message.acknowledgement = acknowledgement
        }
        if let expiry = request.header("iothub-expiry") {
            guard let seconds = Int64(expiry), seconds > 0 else {
                return .rejected(badBody("iothub-expiry must be a time to live in whole seconds"))
            }
            do {
                message.timeToLive = try CloudToDeviceMessage.TimeToLive(.seconds(seconds))
            } catch {
                return .rejected(badBody("\(error)"))
            }
        }
        for (name, value) in request.headers where ServiceRequest.hasPrefixIgnoringASCIICase(name, "iothub-app-") {
            let property = String(name.dropFirst("iothub-app-".count))
            guard !property.isEmpty else { return .rejected(badBody("an iothub-app- header has no property name")) }
            message.properties.append(property, value)
        }
        return .route(.sendCloudToDevice(id, message))
    }

    private static func method(_ id: DeviceID, _ request: ServiceRequest) -> RouteOutcome {
        guard let body = jsonObject(request) else { return .rejected(badBody("the method body is not a JSON object")) }
        guard case .string(let name) = body["methodName"] else { return .rejected(badBody("methodName is missing")) }
        var invocation = DirectMethodRequest(methodName: name, payload: body["payload"])
        for (key, keyPath) in [("responseTimeoutInSeconds", \DirectMethodRequest.responseTimeout), ("connectTimeoutInSeconds", \.connectTimeout)] {
            switch body[key] {
            case .none, .some(.null): continue
            case .some(.integer(let seconds)): invocation[keyPath: keyPath] = .seconds(seconds)
            default: return .rejected(badBody("\(key) must be a whole number of seconds"))
            }
        }
        do {
            try invocation.validate()
        } catch {
            return .rejected(badBody("\(error)"))
        }
        return .route(.invokeMethod(id, invocation))
    }

    private static func patchTwin(_ id: DeviceID, _ request: ServiceRequest) -> RouteOutcome {
        guard let body = jsonObject(request) else { return .rejected(badBody("the twin patch is not a JSON object")) }
        var desired: [String: JSONValue]?
        if let properties = body["properties"] {
            guard let members = properties.objectValue else { return .rejected(badBody("properties must be an object")) }
            guard members["reported"] == nil else { return .rejected(badBody("reported properties are read-only for the service")) }
            if let value = members["desired"] {
                guard let object = value.objectValue else { return .rejected(badBody("properties.desired must be an object")) }
                desired = object
            }
        }
        var tags: [String: JSONValue]?
        if let value = body["tags"] {
            guard let object = value.objectValue else { return .rejected(badBody("tags must be an object")) }
            tags = object
        }
        return .route(.patchTwin(id, desired: desired, tags: tags))
    }

    private static func tokenRoute(_ request: ServiceRequest) -> RouteOutcome {
        guard let text = request.query["device"], !text.isEmpty else { return .rejected(.text(400, "missing query parameter device")) }
        guard let id = try? DeviceID(text) else { return .rejected(.text(400, "device '\(text)' is not a valid device id")) }
        let ttlText = request.query["ttl"] ?? "3600"
        guard let ttl = Int64(ttlText), ttl > 0, ttl <= maximumTokenTTL else {
            return .rejected(.text(400, "ttl must be a whole number of seconds from 1 to \(maximumTokenTTL)"))
        }
        return .route(.mintToken(id, timeToLive: ttl))
    }
}

/// Why a service request body was refused.
struct ServiceBodyProblem: Error {
    var description: String
}
