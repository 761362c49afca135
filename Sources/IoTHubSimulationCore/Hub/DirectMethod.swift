import IoTHubCore

/// A direct method call from the service side (the body of `POST /twins/{id}/methods`).
public struct DirectMethodRequest: Sendable, Hashable {
    /// The method name: printable ASCII without `$ ( ) < > @ , ; : \ " / [ ] ? = { }`, space or tab.
    public var methodName: String
    /// The JSON payload sent to the device; `nil` sends an empty body.
    public var payload: JSONValue?
    /// How long the hub waits for the device's answer. Default 30 s; 5 s to 300 s.
    public var responseTimeout: Duration
    /// How long the hub waits for an offline device to connect and subscribe. Default 0: the
    /// device must be online already; at most 300 s.
    public var connectTimeout: Duration

    public init(methodName: String, payload: JSONValue? = nil, responseTimeout: Duration = .seconds(30), connectTimeout: Duration = .zero) {
        self.methodName = methodName
        self.payload = payload
        self.responseTimeout = responseTimeout
        self.connectTimeout = connectTimeout
    }

    static let excludedCharacters = Set("$()<>@,;:\\\"/[]?={} \t".unicodeScalars)

    /// Checks the documented limits.
    /// - Throws: ``DirectMethodError`` naming the problem.
    public func validate() throws(DirectMethodError) {
        guard !methodName.isEmpty,
            methodName.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && !Self.excludedCharacters.contains($0) })
        else { throw .invalidMethodName(methodName) }
        guard responseTimeout >= .seconds(5), responseTimeout <= .seconds(300) else {
            throw .timeoutOutOfRange("responseTimeoutInSeconds must be 5 to 300")
        }
        guard connectTimeout >= .zero, connectTimeout <= .seconds(300) else {
            throw .timeoutOutOfRange("connectTimeoutInSeconds must be 0 to 300")
        }
    }
}

/// How a direct method call ended.
public enum DirectMethodResult: Sendable, Hashable {
    /// The device answered with `status` and a JSON body (`nil` when empty; text that is not
    /// JSON is kept as a JSON string).
    case response(status: Int, payload: JSONValue?)
    /// The device is not connected, or holds no `$iothub/methods/POST/#` subscription (HTTP
    /// 404, `DeviceNotOnline`).
    case deviceNotOnline
    /// The device did not answer within the response timeout (HTTP 504).
    case timedOut
    /// No such device (HTTP 404, `DeviceNotFound`).
    case deviceNotFound
}

/// Why a direct method request was refused before it reached the device.
public enum DirectMethodError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidMethodName(String)
    case timeoutOutOfRange(String)

    public var description: String {
        switch self {
        case .invalidMethodName(let name): "method name '\(name)' is empty or has characters IoT Hub does not allow"
        case .timeoutOutOfRange(let detail): detail
        }
    }
}

/// A direct method call the hub is working on.
struct PendingMethod: Sendable {
    enum State: Sendable, Hashable {
        /// Waiting for the device to come online and subscribe, until the time given.
        case awaitingDevice(until: HubTime)
        /// Sent to the device with `$rid` `requestID`; waiting for the answer until the time given.
        case sent(requestID: String, until: HubTime)

        var deadline: HubTime {
            switch self {
            case .awaitingDevice(let until), .sent(_, let until): until
            }
        }
    }

    var deviceID: DeviceID
    var request: DirectMethodRequest
    var state: State
}
