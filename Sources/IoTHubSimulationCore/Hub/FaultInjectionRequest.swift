import IoTHubCore

/// A device's request, in the Azure IoT SDKs' fault-injection protocol, for the hub to inject a
/// fault: a telemetry message with the application properties `AzIoTHub_FaultOperationType`,
/// `AzIoTHub_FaultOperationCloseReason`, `AzIoTHub_FaultOperationDelayInSecs` and
/// `AzIoTHub_FaultOperationDurationInSecs`, as the SDKs' end-to-end suites send to a real hub's
/// test feature. After the delay the device is in fault mode for the duration, then back to
/// normal.
public struct FaultInjectionRequest: Sendable, Hashable {
    /// The fault types that mean something on MQTT.
    public enum FaultType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// The hub kills the TCP connection (reset), and kills the device's connections until
        /// the duration ends.
        case killTcp = "KillTcp"
        /// The hub closes the MQTT connection (a clean close), and closes the device's
        /// connections until the duration ends.
        case shutDownMqtt = "ShutDownMqtt"
        /// The device is throttled for the duration (``HubFault/throttle``).
        case invokeThrottling = "InvokeThrottling"
        /// The device's daily message quota is used up for the duration
        /// (``HubFault/quotaExceeded``).
        case invokeMaxMessageQuota = "InvokeMaxMessageQuota"
        /// The device's authentication fails for the duration (``HubFault/authError``).
        case invokeAuthError = "InvokeAuthError"

        /// The hub fault the type puts the device in.
        public var fault: HubFault {
            switch self {
            case .killTcp, .shutDownMqtt: .restart
            case .invokeThrottling: .throttle
            case .invokeMaxMessageQuota: .quotaExceeded
            case .invokeAuthError: .authError
            }
        }

        /// Whether the fault drops the connection by itself (the others make the device's
        /// operations fail). The real hub drops such a connection before the PUBACK of the
        /// fault message.
        public var disconnects: Bool { fault == .restart }

        public var description: String { rawValue }
    }

    /// The fault type property.
    public static let typeProperty = "AzIoTHub_FaultOperationType"
    /// The close reason property (free text; the SDK suites send `boom` or `byebye`).
    public static let closeReasonProperty = "AzIoTHub_FaultOperationCloseReason"
    /// The delay property, in seconds.
    public static let delayProperty = "AzIoTHub_FaultOperationDelayInSecs"
    /// The duration property, in seconds.
    public static let durationProperty = "AzIoTHub_FaultOperationDurationInSecs"
    /// The fault types of the protocol that act on AMQP links and connections only.
    public static let amqpTypes: Set<String> = [
        "KillAmqpConnection", "KillAmqpSession", "KillAmqpCBSLinkReq", "KillAmqpCBSLinkResp", "KillAmqpD2CLink",
        "KillAmqpC2DLink", "KillAmqpTwinLinkReq", "KillAmqpTwinLinkResp", "KillAmqpMethodReqLink", "KillAmqpMethodRespLink",
        "ShutDownAmqp",
    ]
    /// The longest delay or duration the hub takes: one day.
    public static let maximumSeconds = 86_400
    /// Close reasons are kept to this many characters in events.
    public static let maximumCloseReasonLength = 128

    /// What the device asked for.
    public var type: FaultType
    /// The close reason it gave (empty when none).
    public var closeReason: String
    /// How long after the message the fault starts. Missing: 0.
    public var delay: Duration
    /// How long the device stays in fault mode. Missing: 0 (a disconnecting fault then drops
    /// the connection once).
    public var duration: Duration

    public init(type: FaultType, closeReason: String = "", delay: Duration = .zero, duration: Duration = .zero) {
        self.type = type
        self.closeReason = closeReason
        self.delay = delay
        self.duration = duration
    }

    /// What a telemetry message's properties say.
    public enum Parsed: Sendable, Hashable {
        /// The message carries no fault type: it is ordinary telemetry.
        case notARequest
        /// A fault the hub can inject on MQTT.
        case request(FaultInjectionRequest)
        /// A fault request the hub does not act on; `type` is the type as sent, `reason` why.
        case refused(type: String, reason: String)
    }

    /// Reads the fault-injection properties of a telemetry message. A message is a request when
    /// it carries `AzIoTHub_FaultOperationType`; the first occurrence of each property counts.
    public static func parse(_ properties: PropertyBag) -> Parsed {
        func value(_ name: String) -> String?? {
            properties.properties.first { $0.name == name }.map(\.value)
        }
        guard let typeValue = value(typeProperty) else { return .notARequest }
        let typeText = typeValue ?? ""
        let shownType = String(typeText.prefix(maximumCloseReasonLength))
        guard let type = FaultType(rawValue: typeText) else {
            if amqpTypes.contains(typeText) {
                return .refused(type: shownType, reason: "\(typeText) acts on AMQP links; the device is connected over MQTT")
            }
            let known = FaultType.allCases.map(\.rawValue).joined(separator: ", ")
            return .refused(type: shownType, reason: "unknown fault type; on MQTT the hub injects \(known)")
        }
        let delay: Duration
        let duration: Duration
        switch (seconds(value(delayProperty), name: delayProperty), seconds(value(durationProperty), name: durationProperty)) {
        case (.success(let parsedDelay), .success(let parsedDuration)):
            delay = parsedDelay
            duration = parsedDuration
        case (.failure(let problem), _), (_, .failure(let problem)):
            return .refused(type: shownType, reason: problem.text)
        }
        var reason = (value(closeReasonProperty) ?? nil) ?? ""
        if reason.count > maximumCloseReasonLength { reason = String(reason.prefix(maximumCloseReasonLength)) + "…" }
        return .request(FaultInjectionRequest(type: type, closeReason: reason, delay: delay, duration: duration))
    }

    private struct Problem: Error {
        var text: String
    }

    /// A count of seconds: digits, optionally with a fraction (`5`, `0.5`), from 0 to
    /// ``maximumSeconds``. Missing: 0.
    private static func seconds(_ value: String??, name: String) -> Result<Duration, Problem> {
        guard let value else { return .success(.zero) }
        guard let text = value, !text.isEmpty else { return .failure(Problem(text: "\(name) has no value")) }
        let shown = text.count > 32 ? String(text.prefix(32)) + "…" : text
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = parts.first, !whole.isEmpty, whole.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return .failure(Problem(text: "\(name) '\(shown)' is not a number of seconds (digits, optionally with a fraction)"))
        }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard parts.count == 1 || (!fraction.isEmpty && fraction.allSatisfy({ $0.isASCII && $0.isNumber })) else {
            return .failure(Problem(text: "\(name) '\(shown)' is not a number of seconds (digits, optionally with a fraction)"))
        }
        let trimmed = whole.drop { $0 == "0" }
        guard trimmed.count <= 6, let wholeSeconds = Int(trimmed.isEmpty ? "0" : String(trimmed)), wholeSeconds <= maximumSeconds else {
            return .failure(Problem(text: "\(name) '\(shown)' is more than \(maximumSeconds) s (a day)"))
        }
        let digits = String(fraction.prefix(9))
        let nanos = (Int64(digits) ?? 0) * Int64((0..<(9 - digits.count)).reduce(1) { product, _ in product * 10 })
        let total = Duration.seconds(wholeSeconds) + .nanoseconds(nanos)
        guard total <= .seconds(maximumSeconds) else {
            return .failure(Problem(text: "\(name) '\(shown)' is more than \(maximumSeconds) s (a day)"))
        }
        return .success(total)
    }
}
