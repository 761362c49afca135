import IoTHubCore
import MQTTCore

/// A request a device publishes to the Device Provisioning Service, parsed from its topic.
public enum ProvisioningRequest: Sendable, Hashable {
    /// `$dps/registrations/PUT/iotdps-register/?$rid={rid}`: register (the body is JSON
    /// with `registrationId` and an optional `payload`).
    case register(requestID: String)
    /// `$dps/registrations/GET/iotdps-get-operationstatus/?$rid={rid}&operationId={id}`: the
    /// status of a registration operation.
    case operationStatus(requestID: String, operationID: String)

    static let registerPrefix = "$dps/registrations/PUT/iotdps-register/?"
    static let statusPrefix = "$dps/registrations/GET/iotdps-get-operationstatus/?"
    /// The one filter a DPS client subscribes to.
    public static let responseFilter = "$dps/registrations/res/#"

    /// The request id the answer carries.
    public var requestID: String {
        switch self {
        case .register(let rid), .operationStatus(let rid, _): rid
        }
    }

    /// Parses a publish topic.
    /// - Throws: ``ProvisioningError/malformedTopic(reason:)``.
    public init(topic: String) throws(ProvisioningError) {
        let query: Substring
        let isRegister: Bool
        if topic.hasPrefix(Self.registerPrefix) {
            query = topic.dropFirst(Self.registerPrefix.count)
            isRegister = true
        } else if topic.hasPrefix(Self.statusPrefix) {
            query = topic.dropFirst(Self.statusPrefix.count)
            isRegister = false
        } else {
            throw .malformedTopic(reason: "'\(PeerText.escaped(topic))' is neither the register nor the operation status topic")
        }
        var fields: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }
            let name = (try? PercentEncoding.decode(String(parts[0]))) ?? String(parts[0])
            fields[name] = (try? PercentEncoding.decode(String(parts[1]))) ?? String(parts[1])
        }
        guard let rid = fields["$rid"], !rid.isEmpty, rid.utf8.count <= 128 else {
            throw .malformedTopic(reason: "'\(PeerText.escaped(topic))' has no $rid (1 to 128 characters)")
        }
        if isRegister {
            self = .register(requestID: rid)
        } else {
            guard let operationID = fields["operationId"], !operationID.isEmpty else {
                throw .malformedTopic(reason: "'\(PeerText.escaped(topic))' has no operationId")
            }
            self = .operationStatus(requestID: rid, operationID: operationID)
        }
    }
}

/// An answer of the Device Provisioning Service: published on
/// `$dps/registrations/res/{status}/?$rid={rid}` (with `&retry-after={seconds}` on 202).
public struct ProvisioningResponse: Sendable, Hashable {
    public var status: Int
    public var requestID: String
    public var retryAfterSeconds: Int?
    public var body: JSONValue

    /// The response topic.
    public var topic: String {
        var text = "$dps/registrations/res/\(status)/?$rid=\(PercentEncoding.encode(requestID))"
        if let retryAfterSeconds { text += "&retry-after=\(retryAfterSeconds)" }
        return text
    }

    /// An error answer with the service's body shape:
    /// `{"errorCode": 401002, "trackingId": ..., "message": ..., "timestampUtc": ...}`.
    static func error(status: Int, code: Int, message: String, requestID: String, trackingID: String, now: HubTime) -> ProvisioningResponse {
        ProvisioningResponse(
            status: status,
            requestID: requestID,
            retryAfterSeconds: nil,
            body: .object([
                "errorCode": .integer(Int64(code)),
                "trackingId": .string(trackingID),
                "message": .string(message),
                "timestampUtc": .string(now.iso8601),
            ])
        )
    }
}
