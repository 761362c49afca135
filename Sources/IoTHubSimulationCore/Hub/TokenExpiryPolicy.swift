import IoTHubCore
import MQTTCore

/// When the hub accepts a SAS token and when it drops a connection whose token has expired:
/// one policy for CONNECT, the live connection and the service REST API.
///
/// - A CONNECT, or a service request, is accepted while `now <= se + clockSkew` (whole
///   seconds, as `se` is): the five-minute clock-skew allowance of the real hub.
/// - A live connection is dropped, without a packet, once `now > se + grace`. The grace is at
///   least the skew, so a connection the hub has just accepted is never dropped at once for
///   its token; the real hub's grace is inferred to be about ten minutes.
public struct TokenExpiryPolicy: Sendable, Hashable, CustomStringConvertible {
    /// Why a policy cannot be built.
    public enum Error: Swift.Error, Hashable, CustomStringConvertible {
        /// A negative or fractional number of seconds.
        case notWholeSeconds(name: String, Duration)
        /// More than ``TokenExpiryPolicy/longest``.
        case tooLong(name: String, Duration)
        /// The grace is shorter than the skew: a token inside the skew would be accepted at
        /// CONNECT and the connection dropped at once.
        case graceShorterThanSkew(grace: Duration, skew: Duration)

        public var description: String {
            switch self {
            case .notWholeSeconds(let name, let value):
                "the token \(name) must be zero or a whole number of seconds, not \(TokenExpiryPolicy.describe(value))"
            case .tooLong(let name, let value):
                "the token \(name) of \(TokenExpiryPolicy.describe(value)) is longer than a year"
            case .graceShorterThanSkew(let grace, let skew):
                "the token grace (\(TokenExpiryPolicy.describe(grace))) must be at least the clock skew (\(TokenExpiryPolicy.describe(skew))): otherwise a token inside the skew is accepted at CONNECT and the connection dropped at once"
            }
        }
    }

    /// Seconds past `se` during which CONNECTs and service requests are still accepted.
    public let clockSkewSeconds: Int64
    /// Seconds past `se` during which a live connection stays open.
    public let graceSeconds: Int64

    /// The real hub's behaviour as far as it is known: 5 minutes of skew (the SDK's
    /// `MaxClockSkew`), 10 minutes of grace (iothub-mqtt.md section 3, inferred).
    public static let realHub = TokenExpiryPolicy(checkedSkew: 300, grace: 600)

    /// - Throws: ``Error`` when a value is negative or fractional, or the grace is shorter
    ///   than the skew.
    public init(clockSkew: Duration = .seconds(300), grace: Duration = .seconds(600)) throws(Error) {
        let skew = try Self.wholeSeconds(clockSkew, name: "clock skew")
        let graceSeconds = try Self.wholeSeconds(grace, name: "grace")
        guard graceSeconds >= skew else { throw .graceShorterThanSkew(grace: grace, skew: clockSkew) }
        self.init(checkedSkew: skew, grace: graceSeconds)
    }

    private init(checkedSkew: Int64, grace: Int64) {
        clockSkewSeconds = checkedSkew
        graceSeconds = grace
    }

    /// `300 s`, `1.5 s`, `-5 s`: a duration in seconds for messages.
    static func describe(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        guard attoseconds != 0 else { return "\(seconds) s" }
        let fraction = Double(attoseconds) / 1e18
        return "\(Double(seconds) + fraction) s"
    }

    /// The longest skew or grace: a year.
    public static let longest = Duration.seconds(365 * 24 * 3600)

    private static func wholeSeconds(_ value: Duration, name: String) throws(Error) -> Int64 {
        let (seconds, attoseconds) = value.components
        guard seconds >= 0, attoseconds == 0 else { throw .notWholeSeconds(name: name, value) }
        guard value <= longest else { throw .tooLong(name: name, value) }
        return seconds
    }

    /// The skew as a duration.
    public var clockSkew: Duration { .seconds(clockSkewSeconds) }
    /// The grace as a duration.
    public var grace: Duration { .seconds(graceSeconds) }

    /// The first instant at which a CONNECT or service request with a token expiring at `se`
    /// is refused.
    public func refusalTime(expiry se: Int64) -> HubTime {
        HubTime(unixSeconds: se.saturatingAdding(clockSkewSeconds).saturatingAdding(1))
    }

    /// The first instant at which a live connection authenticated with a token expiring at
    /// `se` is dropped.
    public func dropTime(expiry se: Int64) -> HubTime {
        HubTime(unixSeconds: se.saturatingAdding(graceSeconds).saturatingAdding(1))
    }

    public var description: String { "tokens accepted up to \(clockSkewSeconds) s past expiry, connections dropped \(graceSeconds) s past it" }
}
