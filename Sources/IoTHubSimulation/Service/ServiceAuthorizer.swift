import MQTTCore
import IoTHubCore

/// Checks who may call the service side: IoT Hub routes need a service SAS token
/// (`Authorization: SharedAccessSignature sr={host}&sig=...&se=...&skn={policy}`) from a
/// policy with the route's permission; the token service needs its function key.
public enum ServiceAuthorizer {
    /// Checks `request` for `route`.
    /// - Returns: `nil` when allowed, otherwise the 401 response.
    public static func check(
        _ request: ServiceRequest,
        route: ServiceRoute,
        policies: [String: AccessPolicy],
        hostName: String,
        tokenServiceKey: String?,
        now: HubTime,
        allowingSkew skew: Duration
    ) -> ServiceResponse? {
        guard let permission = route.requiredPermission else {
            guard let expected = tokenServiceKey, let given = request.header("x-functions-key"), constantTimeEqual(expected, given) else {
                return .text(401, "missing or wrong x-functions-key")
            }
            return nil
        }
        guard let header = request.header("Authorization") else {
            return unauthorized("the Authorization header with a service SAS token is missing")
        }
        let token: SASToken
        do {
            token = try SASToken(parsing: header)
        } catch {
            return unauthorized("\(error)")
        }
        guard let policyName = token.policyName else { return unauthorized("the SAS token names no policy (skn)") }
        guard let policy = policies[policyName] else { return unauthorized("unknown shared access policy '\(policyName)'") }
        let target = hostName + request.path
        do {
            try token.verify(keys: policy.keys, target: target, now: now.unixSeconds, allowingSkew: skew.nanoseconds / 1_000_000_000)
        } catch {
            return unauthorized("\(error)")
        }
        guard policy.permissions.contains(permission) else {
            return unauthorized("policy '\(policyName)' lacks \(permission.rawValue)")
        }
        return nil
    }

    private static func unauthorized(_ reason: String) -> ServiceResponse {
        .error(401, code: "IotHubUnauthorizedAccess", reason)
    }

    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
