import IoTHubCore
import MQTTClientCore
import MQTTCore

extension ClientToken {
    /// A token whose expiry is read from its SAS `se` field; `nil` expiry when the text is not
    /// a SAS token.
    public init(sasToken text: String) {
        self.init(password: text, expiry: (try? SASToken(parsing: text))?.expiry)
    }
}

/// Where a device gets its password from before it connects. Profiles that reconnect ask
/// again before every attempt, so a source that mints or fetches tokens gives a fresh one.
public protocol TokenSource: Sendable {
    /// A token to connect with now.
    /// - Throws: ``TokenSourceError`` when none can be had.
    func token() async throws -> ClientToken

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

    public func token() async throws -> ClientToken {
        mint()
    }

    /// Signs a token now.
    public func mint() -> ClientToken {
        let expiry = clock.unixSeconds() + max(1, ttl.nanoseconds / 1_000_000_000)
        let resource = IoTHubCredentials.deviceResource(hostName: hostName, deviceID: deviceID)
        return ClientToken(password: SASToken.make(resource: resource, key: key, expiry: expiry).rendered, expiry: expiry)
    }

    public var summary: String { "minted from the device key (ttl \(ttl.nanoseconds / 1_000_000_000)s)" }
}

/// One fixed password, as the seed firmware pastes a token in: every connect uses it, also
/// after it expired.
public struct FixedTokenSource: TokenSource {
    public var fixed: ClientToken

    public init(_ text: String) {
        self.fixed = ClientToken(sasToken: text)
    }

    public func token() async throws -> ClientToken { fixed }

    public var summary: String { "fixed \(fixed)" }
}
