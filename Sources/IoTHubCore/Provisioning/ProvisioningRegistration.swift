import MQTTCore

/// A device's side of one Device Provisioning Service registration over MQTT, pure: it says
/// what to publish and how long to wait, and reads the service's answers. The conversation is
/// the one the SDKs hold: subscribe to `$dps/registrations/res/#`, publish the request on
/// `$dps/registrations/PUT/iotdps-register/?$rid={rid}`, and while the service answers 202
/// (`assigning`), wait its `retry-after` and poll
/// `$dps/registrations/GET/iotdps-get-operationstatus/?$rid={rid}&operationId={id}` until a
/// final answer. No clock is read: the driver waits the delays the machine returns.
public struct ProvisioningRegistration: Sendable {
    /// What the driver does next.
    public enum Action: Sendable, Hashable {
        /// Publish `payload` on `topic` after waiting `delaySeconds` (0: at once).
        case publish(topic: String, payload: String, delaySeconds: Int)
        /// The registration is over.
        case finish(ProvisioningResult)
    }

    /// The API version the SDKs name in the user name and topics.
    public static let apiVersion = "2019-03-31"
    /// The filter the answers come on.
    public static let responseFilter = "$dps/registrations/res/#"
    /// The longest `retry-after` honoured, in seconds: a larger one is cut to it so a run
    /// cannot stall on a peer's number.
    public static let longestRetryAfter = 60
    /// The `retry-after` used when an answer gives none (the SDKs' default polling interval).
    public static let defaultRetryAfter = 2

    public let idScope: String
    public let registrationID: String
    /// The most status polls before the registration is given up as unfinished.
    public let maximumPolls: Int
    /// Status polls sent so far.
    public private(set) var polls = 0
    private var requestCounter = 0
    private var pendingRequestID: String?
    private var operationID: String?

    public init(idScope: String, registrationID: String, maximumPolls: Int = 20) {
        self.idScope = idScope
        self.registrationID = registrationID
        self.maximumPolls = maximumPolls
    }

    /// The CONNECT user name: `{idScope}/registrations/{registrationId}/api-version=...`.
    public var username: String {
        "\(idScope)/registrations/\(registrationID)/api-version=\(Self.apiVersion)&ClientVersion=harness"
    }

    /// The resource a registration token is signed for: `{idScope}/registrations/{registrationId}`.
    public var tokenResource: String { "\(idScope)/registrations/\(registrationID)" }

    /// A registration SAS token (`skn=registration`, as the SDKs sign one for a symmetric key).
    /// Secret.
    public func password(key: DeviceKey, expiry: Int64) -> String {
        SASToken.make(resource: tokenResource, key: key, expiry: expiry, policyName: "registration").rendered
    }

    /// The registration request, to publish once subscribed.
    public mutating func start() -> Action {
        .publish(topic: nextRequestTopic(register: true), payload: JSONValue.object(["registrationId": .string(registrationID)]).jsonText, delaySeconds: 0)
    }

    /// Reads one message the service published; `nil` when it is not the answer awaited (an
    /// old request id, another topic).
    public mutating func receive(topic: String, payload: [UInt8]) -> Action? {
        guard let answer = Answer(topic: topic), answer.requestID == pendingRequestID else { return nil }
        let body = try? JSONValue(parsing: payload)
        if answer.status >= 300 {
            let code = body?["errorCode"]?.numberValue.map { Int($0) }
            let message = Self.cut(body?["message"]?.stringValue ?? "no message")
            return .finish(ProvisioningResult(status: .refused, responseStatus: answer.status, errorCode: code, message: message, polls: polls))
        }
        if let id = body?["operationId"]?.stringValue, !id.isEmpty { operationID = id }
        let state = body?["registrationState"]
        let statusText = state?["status"]?.stringValue ?? body?["status"]?.stringValue ?? ""
        if answer.status == 202 || statusText == "assigning" || statusText == "unassigned" {
            guard let operationID else {
                return .finish(ProvisioningResult(status: .refused, responseStatus: answer.status, message: "the answer to the request had no operationId", polls: polls))
            }
            guard polls < maximumPolls else {
                return .finish(ProvisioningResult(status: .unfinished, responseStatus: answer.status, message: "still \(statusText.isEmpty ? "assigning" : statusText) after \(polls) status polls", polls: polls))
            }
            polls += 1
            let delay = min(max(answer.retryAfter ?? Self.defaultRetryAfter, 0), Self.longestRetryAfter)
            let topic = nextRequestTopic(register: false) + "&operationId=\(PercentEncoding.encode(operationID))"
            return .publish(topic: topic, payload: "", delaySeconds: delay)
        }
        guard let status = ProvisioningResult.Status(rawValue: statusText) else {
            return .finish(ProvisioningResult(status: .refused, responseStatus: answer.status, message: "the answer's status '\(statusText.prefix(40))' is not one the service documents", polls: polls))
        }
        return .finish(ProvisioningResult(
            status: status,
            responseStatus: answer.status,
            errorCode: state?["errorCode"]?.numberValue.map { Int($0) },
            message: state?["errorMessage"]?.stringValue.map(Self.cut),
            assignedHub: state?["assignedHub"]?.stringValue,
            deviceID: state?["deviceId"]?.stringValue,
            polls: polls
        ))
    }

    private mutating func nextRequestTopic(register: Bool) -> String {
        requestCounter += 1
        let rid = String(requestCounter)
        pendingRequestID = rid
        return register
            ? "$dps/registrations/PUT/iotdps-register/?$rid=\(rid)"
            : "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=\(rid)"
    }

    /// The service's text cut to ``longestMessage`` characters: it is shown in reports.
    static func cut(_ text: String) -> String {
        text.count > longestMessage ? String(text.prefix(longestMessage)) + "..." : text
    }

    /// The most characters of the service's text a result keeps.
    public static let longestMessage = 300

    /// The status, request id and `retry-after` of an answer's topic
    /// (`$dps/registrations/res/{status}/?$rid={rid}&retry-after={seconds}`).
    struct Answer {
        var status: Int
        var requestID: String
        var retryAfter: Int?

        init?(topic: String) {
            let prefix = "$dps/registrations/res/"
            guard topic.hasPrefix(prefix) else { return nil }
            let rest = topic.dropFirst(prefix.count)
            guard let slash = rest.firstIndex(of: "/"), let status = Int(rest[..<slash]) else { return nil }
            self.status = status
            var requestID: String?
            let query = rest[rest.index(after: slash)...].drop { $0 == "?" }
            for pair in query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else { continue }
                if parts[0] == "$rid" { requestID = String(parts[1]) }
                if parts[0] == "retry-after" { retryAfter = Int(parts[1]) }
            }
            guard let requestID else { return nil }
            self.requestID = (try? PercentEncoding.decode(requestID)) ?? requestID
        }
    }
}

/// How a registration ended, as the service answered it.
public struct ProvisioningResult: Sendable, Hashable, CustomStringConvertible {
    /// The registration's final status: the service's own words (`assigned`, `failed`,
    /// `disabled`), `refused` for an error answer (400, 401, 404, ...), `unfinished` when the
    /// device gave up polling.
    public enum Status: String, Sendable, Hashable, CaseIterable {
        case assigned, failed, disabled, refused, unfinished
    }

    public var status: Status
    /// The status of the service's last answer (200, 401, ...); 0 when it refused the CONNECT
    /// before any request (``message`` then names the CONNACK).
    public var responseStatus: Int
    /// The service's `errorCode` (`401002`), if it gave one.
    public var errorCode: Int?
    /// The service's error text, if it gave one.
    public var message: String?
    /// `assignedHub`, for an assigned device.
    public var assignedHub: String?
    /// `deviceId`, for an assigned device.
    public var deviceID: String?
    /// The status polls the device sent.
    public var polls: Int

    public init(status: Status, responseStatus: Int, errorCode: Int? = nil, message: String? = nil, assignedHub: String? = nil, deviceID: String? = nil, polls: Int) {
        self.status = status
        self.responseStatus = responseStatus
        self.errorCode = errorCode
        self.message = message
        self.assignedHub = assignedHub
        self.deviceID = deviceID
        self.polls = polls
    }

    /// `assigned to hub.example as device d1`, `refused with 401 (errorCode 401002): Unauthorized`.
    public var description: String {
        switch status {
        case .assigned:
            return "assigned to \(assignedHub ?? "no hub") as device \(deviceID ?? "none")"
        case .refused where responseStatus == 0:
            return "refused at CONNECT: \(message ?? "no CONNACK")"
        case .refused:
            return "refused with \(responseStatus)\(errorCode.map { " (errorCode \($0))" } ?? ""): \(message ?? "no message")"
        case .failed, .disabled, .unfinished:
            return "\(status.rawValue)\(errorCode.map { " (errorCode \($0))" } ?? "")\(message.map { ": \($0)" } ?? "")"
        }
    }
}
