import IoTHubCore
import MQTTCore

/// The password a device presents, and when it stops being valid.
public struct DeviceToken: Sendable, Hashable, CustomStringConvertible {
    /// The MQTT password, normally a SAS token. Secret.
    public var password: String
    /// Expiry in Unix seconds (the SAS `se`), when known.
    public var expiry: Int64?

    public init(password: String, expiry: Int64?) {
        self.password = password
        self.expiry = expiry
    }

    /// A token whose expiry is read from its SAS `se` field; `nil` expiry when the text is not
    /// a SAS token.
    public init(sasToken text: String) {
        self.password = text
        self.expiry = (try? SASToken(parsing: text))?.expiry
    }

    /// Never shows the password.
    public var description: String {
        expiry.map { "token (expires at \($0))" } ?? "token (expiry unknown)"
    }
}

/// Where a device gets its password from before it connects. Profiles that reconnect ask
/// again before every attempt, so a source that mints or fetches tokens gives a fresh one.
public protocol TokenSource: Sendable {
    /// A token to connect with now.
    /// - Throws: ``TokenSourceError`` when none can be had.
    func token() async throws -> DeviceToken

    /// A short description for traces, for example `minted (ttl 3600s)`. Never secret.
    var summary: String { get }
}

/// Why a token source could not give a token.
public struct TokenSourceError: Error, Sendable, Hashable, CustomStringConvertible {
    public var source: String
    public var reason: String

    public init(source: String, reason: String) {
        self.source = source
        self.reason = reason
    }

    public var description: String { "\(source): \(reason)" }
}

/// Tokens the harness signs itself from the device key, each valid for `ttl` from the moment
/// it is asked for, by the given clock (in a run: the simulated hub's clock).
public struct MintedTokenSource: TokenSource {
    public var deviceID: DeviceID
    public var hostName: String
    /// Secret.
    public var key: DeviceKey
    public var ttl: Duration
    public var clock: any WallClock

    public init(deviceID: DeviceID, hostName: String, key: DeviceKey, ttl: Duration, clock: any WallClock) {
        self.deviceID = deviceID
        self.hostName = hostName
        self.key = key
        self.ttl = ttl
        self.clock = clock
    }

    public func token() async throws -> DeviceToken {
        mint()
    }

    /// Signs a token now.
    public func mint() -> DeviceToken {
        let expiry = clock.unixSeconds() + max(1, ttl.nanoseconds / 1_000_000_000)
        let resource = IoTHubCredentials.deviceResource(hostName: hostName, deviceID: deviceID)
        return DeviceToken(password: SASToken.make(resource: resource, key: key, expiry: expiry).rendered, expiry: expiry)
    }

    public var summary: String { "minted from the device key (ttl \(ttl.nanoseconds / 1_000_000_000)s)" }
}

/// One fixed password, as the seed firmware pastes a token in: every connect uses it, also
/// after it expired.
public struct FixedTokenSource: TokenSource {
    public var fixed: DeviceToken

    public init(_ text: String) {
        self.fixed = DeviceToken(sasToken: text)
    }

    public func token() async throws -> DeviceToken { fixed }

    public var summary: String { "fixed \(fixed)" }
}
