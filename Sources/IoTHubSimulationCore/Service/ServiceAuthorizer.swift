import IoTHubCore
import MQTTCore
import Synchronization

/// Checks who may call the service side: IoT Hub routes need a service SAS token
/// (`Authorization: SharedAccessSignature sr={host}&sig=...&se=...&skn={policy}`) from a
/// policy with the route's permission; the token service needs its function key.
public enum ServiceAuthorizer {
    /// Checks `request` for `route`.
    /// - Returns: `nil` when allowed, otherwise the 401 response.
    /// - Parameter cache: tokens whose signature was verified before, so a sender that reuses
    ///   one token does not pay an HMAC per request; scope, expiry, policy keys and permission
    ///   are still checked every time.
    public static func check(
        _ request: ServiceRequest,
        route: ServiceRoute,
        policies: [String: AccessPolicy],
        hostName: String,
        tokenServiceKey: String?,
        now: HubTime,
        tokenExpiry: TokenExpiryPolicy,
        cache: VerifiedTokenCache? = nil
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
        let target = hostName + request.path
        let seconds = now.unixSeconds
        let skewSeconds = tokenExpiry.clockSkewSeconds
        if let cached = cache?.lookup(header), let policy = policies[cached.policyName], policy.keys.contains(cached.key),
            cached.token.covers(target), !cached.token.hasExpired(at: seconds, allowingSkew: skewSeconds)
        {
            return policy.permissions.contains(permission) ? nil : unauthorized("policy '\(policy.name)' lacks \(permission.rawValue)")
        }
        let token: SASToken
        do {
            token = try SASToken(parsing: header)
        } catch {
            return unauthorized("\(error)")
        }
        guard let policyName = token.policyName else { return unauthorized("the SAS token names no policy (skn)") }
        guard let policy = policies[policyName] else { return unauthorized("unknown shared access policy '\(policyName)'") }
        do {
            let index = try token.verify(keys: policy.keys, target: target, now: seconds, allowingSkew: skewSeconds)
            cache?.store(header, VerifiedTokenCache.Entry(token: token, policyName: policyName, key: policy.keys[index]))
        } catch {
            return unauthorized("\(error)")
        }
        guard policy.permissions.contains(permission) else {
            return unauthorized("policy '\(policyName)' lacks \(permission.rawValue)")
        }
        return nil
    }

    private static func unauthorized(_ reason: String) -> ServiceResponse {
        .error(.iotHubUnauthorizedAccess, reason)
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

/// Service tokens whose signature the hub verified, by their `Authorization` header text. Holds
/// at most 64; the oldest half goes when full.
public final class VerifiedTokenCache: Sendable {
    struct Entry: Sendable {
        var token: SASToken
        var policyName: String
        /// The policy key that verified the signature; the entry counts only while the policy
        /// still has it.
        var key: DeviceKey
    }

    private let entries = Mutex<(map: [String: Entry], order: [String])>(([:], []))

    public init() {}

    func lookup(_ header: String) -> Entry? {
        entries.withLock { $0.map[header] }
    }

    func store(_ header: String, _ entry: Entry) {
        entries.withLock { state in
            if state.map[header] == nil { state.order.append(header) }
            state.map[header] = entry
            if state.order.count > 64 {
                for old in state.order.prefix(32) { state.map[old] = nil }
                state.order.removeFirst(32)
            }
        }
    }
}
