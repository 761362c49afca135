import IoTHubCore

/// One HTTP request to the hub's service side, as a value: the HTTP server builds it, the
/// routing logic reads it, so routing is testable without sockets.
public struct ServiceRequest: Sendable, Hashable {
    /// `GET`, `PUT`, `POST`, `PATCH` or `DELETE`.
    public var method: String
    /// The path without the query, percent-decoded segment by segment later, for example
    /// `/devices/esp8266/messages/deviceBound`.
    public var path: String
    /// Query parameters, percent-decoded; the last value wins for a repeated name.
    public var query: [String: String]
    /// Header fields; names compare case-insensitively through ``header(_:)``.
    public var headers: [(name: String, value: String)]
    /// The request body.
    public var body: [UInt8]

    public init(method: String, path: String, query: [String: String] = [:], headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// Parses a request target such as `/devices/d?api-version=2021-04-12`.
    public init(method: String, target: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        var path = target
        var query: [String: String] = [:]
        if let mark = target.firstIndex(of: "?") {
            path = String(target[..<mark])
            for item in target[target.index(after: mark)...].split(separator: "&") {
                let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = Self.decodeQueryText(String(parts[0]))
                query[name] = parts.count > 1 ? Self.decodeQueryText(String(parts[1])) : ""
            }
        }
        self.init(method: method, path: path, query: query, headers: headers, body: body)
    }

    private static func decodeQueryText(_ text: String) -> String {
        let spaced = text.utf8.contains(UInt8(ascii: "+")) ? String(text.map { $0 == "+" ? " " : $0 }) : text
        return (try? PercentEncoding.decode(spaced)) ?? spaced
    }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { Self.equalIgnoringASCIICase($0.name, name) }?.value
    }

    /// Whether two header names are equal ignoring ASCII case, without building lowercased
    /// copies (the service answers every C2D send with several lookups).
    static func equalIgnoringASCIICase(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.count == rhs.utf8.count && hasPrefixIgnoringASCIICase(lhs, rhs)
    }

    /// Whether `text` starts with `prefix`, ignoring ASCII case.
    static func hasPrefixIgnoringASCIICase(_ text: String, _ prefix: String) -> Bool {
        var characters = text.utf8.makeIterator()
        for expected in prefix.utf8 {
            guard let found = characters.next(), lowercased(found) == lowercased(expected) else { return false }
        }
        return true
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }

    public static func == (lhs: ServiceRequest, rhs: ServiceRequest) -> Bool {
        lhs.method == rhs.method && lhs.path == rhs.path && lhs.query == rhs.query && lhs.body == rhs.body
            && lhs.headers.map { [$0.name, $0.value] } == rhs.headers.map { [$0.name, $0.value] }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(method)
        hasher.combine(path)
        hasher.combine(body)
    }
}

/// The answer to a ``ServiceRequest``.
public struct ServiceResponse: Sendable, Hashable {
    /// The HTTP status code.
    public var status: Int
    /// Header fields (`Content-Type`, `iothub-errorcode`, ...); `Content-Length` is added on
    /// the wire.
    public var headers: [String: String]
    /// The response body.
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body as text.
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// A JSON response.
    public static func json(_ status: Int, _ value: JSONValue) -> ServiceResponse {
        ServiceResponse(status: status, headers: ["Content-Type": "application/json; charset=utf-8"], body: Array(value.jsonText.utf8))
    }

    /// A plain-text response.
    public static func text(_ status: Int, _ text: String) -> ServiceResponse {
        ServiceResponse(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: Array(text.utf8))
    }

    /// An IoT Hub error: the code's HTTP status, the `iothub-errorcode` header and the
    /// service's JSON error body `{"Message": "ErrorCode:{code};{message}", "ExceptionMessage": ""}`.
    public static func error(_ code: IoTHubErrorCode, _ message: String) -> ServiceResponse {
        var response = json(code.httpStatus, .object(["Message": .string("ErrorCode:\(code);\(message)"), "ExceptionMessage": .string("")]))
        response.headers["iothub-errorcode"] = code.rawValue
        return response
    }

    /// 429 `ThrottlingException`: the answer to a service request while a throttle fault is in
    /// force.
    public static func throttled(by activation: HubFaultActivation) -> ServiceResponse {
        .error(.throttlingException, "The request was throttled: \(activation). Retry later.")
    }

    /// 204 No Content.
    public static let noContent = ServiceResponse(status: 204)
}

