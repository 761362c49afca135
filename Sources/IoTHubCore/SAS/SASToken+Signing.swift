import Crypto
import Foundation
import MQTTCore

extension SASToken {
    /// Signs a token for `resource` (for example `myhub.azure-devices.net/devices/esp8266`)
    /// that expires at `expiry` (Unix seconds), as the IoT Hub SDKs do: HMAC-SHA256 with the
    /// base64-decoded key over the percent-encoded resource, a newline and the expiry.
    public static func make(resource: String, key: DeviceKey, expiry: Int64, policyName: String? = nil) -> SASToken {
        let encoded = PercentEncoding.encode(resource)
        return SASToken(
            encodedResource: encoded,
            resource: resource,
            signature: signature(encodedResource: encoded, expiry: String(expiry), key: key),
            expiry: expiry,
            policyName: policyName
        )
    }

    /// The base64 HMAC-SHA256 signature of `encodedResource` + `\n` + `expiry` under `key`.
    static func signature(encodedResource: String, expiry: String, key: DeviceKey) -> String {
        let message = Data((encodedResource + "\n" + expiry).utf8)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key.bytes))
        return Data(mac).base64EncodedString()
    }

    /// Whether the signature was made with `key`, compared in constant time.
    public func isSigned(with key: DeviceKey) -> Bool {
        let expected = Self.signature(encodedResource: encodedResource, expiry: String(expiry), key: key)
        let lhs = Array(expected.utf8)
        let rhs = Array(signature.utf8)
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }

    /// Whether the token's resource covers `target` (for example
    /// `myhub.azure-devices.net/devices/esp8266`): a case-insensitive prefix match by whole
    /// path segment, as IoT Hub does it.
    public func covers(_ target: String) -> Bool {
        var scope = resource.lowercased()
        while scope.hasSuffix("/") { scope.removeLast() }
        let target = target.lowercased()
        guard !scope.isEmpty, target.hasPrefix(scope) else { return false }
        return target.count == scope.count || target.dropFirst(scope.count).first == "/"
    }

    /// Whether the token has expired at `now` (Unix seconds), allowing `skew` seconds of clock
    /// difference. A token is valid up to and including `expiry + skew`.
    public func hasExpired(at now: Int64, allowingSkew skew: Int64 = 0) -> Bool {
        now > expiry.saturatingAdding(skew)
    }

    /// Checks the token for `target` at `now`, trying `keys` in order (primary, then secondary).
    /// - Returns: the index of the key that signed it.
    /// - Throws: ``IoTHubCoreError`` for a scope mismatch, bad signature or expiry, in that order.
    @discardableResult
    public func verify(keys: [DeviceKey], target: String, now: Int64, allowingSkew skew: Int64 = 0) throws(IoTHubCoreError) -> Int {
        guard covers(target) else { throw .scopeMismatch(resource: resource, target: target) }
        guard let index = keys.firstIndex(where: { isSigned(with: $0) }) else { throw .signatureMismatch }
        if hasExpired(at: now, allowingSkew: skew) { throw .tokenExpired(expiry: expiry, now: now) }
        return index
    }
}
