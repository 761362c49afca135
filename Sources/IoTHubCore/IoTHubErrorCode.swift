/// An IoT Hub service error code, spelt as the service spells it in the `iothub-errorcode`
/// header and in `ErrorCode:...` of its error bodies. These are the codes the simulated hub
/// answers with; a real hub has more, so text read from one stays text where it is compared
/// (a scenario's `refused:`), and ``init(rawValue:)`` tells whether it is one of these.
public enum IoTHubErrorCode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A request argument (header, body member, device id) is not valid.
    case argumentInvalid = "ArgumentInvalid"
    /// The bytes are not valid HTTP/1.1.
    case badRequest = "BadRequest"
    /// A device with that id is already registered.
    case deviceAlreadyExists = "DeviceAlreadyExists"
    /// The device already has the most C2D messages a queue holds.
    case deviceMaximumQueueDepthExceeded = "DeviceMaximumQueueDepthExceeded"
    /// No device with that id is registered.
    case deviceNotFound = "DeviceNotFound"
    /// A direct method's device is not connected or not subscribed.
    case deviceNotOnline = "DeviceNotOnline"
    /// The device did not answer a direct method in time.
    case gatewayTimeout = "GatewayTimeout"
    /// The `api-version` query parameter is missing.
    case invalidProtocolVersion = "InvalidProtocolVersion"
    /// The request's credentials do not grant what it asks.
    case iotHubUnauthorizedAccess = "IotHubUnauthorizedAccess"
    /// A message or request body is larger than the hub takes.
    case messageTooLarge = "MessageTooLarge"
    /// The operation exists, but not with this HTTP method.
    case methodNotAllowed = "MethodNotAllowed"
    /// No operation at this path.
    case notFound = "NotFound"
    /// The request did not arrive whole in time.
    case requestTimeout = "RequestTimeout"
    /// The hub failed to carry out the request.
    case serverError = "ServerError"
    /// The hub is too busy to take the request (the simulated hub: its service port has as
    /// many connections as it takes); try again later.
    case serverBusy = "ServerBusy"
    /// The hub throttles: the request's rate is over the hub's limit (the simulated hub: a
    /// `throttle` fault is in force); try again later.
    case throttlingException = "ThrottlingException"

    /// The codes a C2D send is refused with, the ones a scenario's `refused:` is most likely
    /// to name (its "did you mean" candidates).
    public static let cloudToDeviceRefusals: [IoTHubErrorCode] = [
        .argumentInvalid, .deviceMaximumQueueDepthExceeded, .deviceNotFound, .messageTooLarge,
    ]

    /// The HTTP status the service answers with this code.
    public var httpStatus: Int {
        switch self {
        case .argumentInvalid, .badRequest, .invalidProtocolVersion: 400
        case .iotHubUnauthorizedAccess: 401
        case .deviceMaximumQueueDepthExceeded: 403
        case .deviceNotFound, .deviceNotOnline, .notFound: 404
        case .methodNotAllowed: 405
        case .requestTimeout: 408
        case .deviceAlreadyExists: 409
        case .messageTooLarge: 413
        case .throttlingException: 429
        case .serverError: 500
        case .serverBusy: 503
        case .gatewayTimeout: 504
        }
    }

    public var description: String { rawValue }
}
