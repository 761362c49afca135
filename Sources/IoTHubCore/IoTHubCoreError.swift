/// Why an IoT Hub credential, token, topic or C2D message was refused. Each case carries the
/// offending part so the message can say where and why; secrets (keys, signatures) are never
/// included.
public enum IoTHubCoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A device or policy key is not valid base64, or is empty.
    case invalidKey(reason: String)
    /// A SAS token string does not have the documented form.
    case malformedToken(reason: String)
    /// The token's signature does not match any of the keys.
    case signatureMismatch
    /// The token expired at `expiry` (Unix seconds); `now` is when it was checked.
    case tokenExpired(expiry: Int64, now: Int64)
    /// The token's resource does not cover the target.
    case scopeMismatch(resource: String, target: String)
    /// Percent-encoded text is not valid.
    case malformedPercentEncoding(String)
    /// A connection string lacks a field or has an unknown one.
    case malformedConnectionString(reason: String)
    /// An MQTT user name does not have the IoT Hub form.
    case malformedUsername(String)
    /// A device id is empty, too long, or has characters IoT Hub does not allow.
    case invalidDeviceID(String, reason: String)
    /// A topic name is not one of IoT Hub's, or lacks a part it needs.
    case malformedTopic(String, reason: String)
    /// A C2D message's time to live is outside what IoT Hub takes (1 minute to 2 days).
    case timeToLiveOutOfRange(Duration)

    public var description: String {
        switch self {
        case .invalidKey(let reason): "invalid key: \(reason)"
        case .malformedToken(let reason): "malformed SAS token: \(reason)"
        case .signatureMismatch: "SAS signature does not match the device's keys"
        case .tokenExpired(let expiry, let now): "SAS token expired at \(expiry) (checked at \(now), \(now - expiry) s later)"
        case .scopeMismatch(let resource, let target): "SAS token resource '\(resource)' does not cover '\(target)'"
        case .malformedPercentEncoding(let text): "malformed percent-encoding in '\(text)'"
        case .malformedConnectionString(let reason): "malformed connection string: \(reason)"
        case .malformedUsername(let username): "user name '\(username)' is not of the form {host}/{deviceId}/?api-version=..."
        case .invalidDeviceID(let id, let reason): "invalid device id '\(id)': \(reason)"
        case .malformedTopic(let topic, let reason): "topic '\(topic)' is not an IoT Hub topic: \(reason)"
        case .timeToLiveOutOfRange(let duration): "time to live \(duration) is outside 1 minute to 2 days"
        }
    }
}
