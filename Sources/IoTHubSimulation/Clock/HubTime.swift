import MQTTCore

/// A point in the simulated hub's time: nanoseconds since 1970-01-01 UTC on the hub's clock,
/// which may run ahead of real time (see ``HubClock``).
public struct HubTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var nanosecondsSince1970: Int64

    public init(nanosecondsSince1970: Int64) {
        self.nanosecondsSince1970 = nanosecondsSince1970
    }

    public init(unixSeconds: Int64) {
        self.nanosecondsSince1970 = unixSeconds * 1_000_000_000
    }

    /// Whole seconds since 1970, rounded down: what SAS `se` values are compared against.
    public var unixSeconds: Int64 {
        nanosecondsSince1970 >= 0
            ? nanosecondsSince1970 / 1_000_000_000 : (nanosecondsSince1970 - 999_999_999) / 1_000_000_000
    }

    public static func < (lhs: HubTime, rhs: HubTime) -> Bool { lhs.nanosecondsSince1970 < rhs.nanosecondsSince1970 }

    public static func + (lhs: HubTime, rhs: Duration) -> HubTime {
        HubTime(nanosecondsSince1970: lhs.nanosecondsSince1970 + rhs.nanoseconds)
    }

    public static func - (lhs: HubTime, rhs: HubTime) -> Duration {
        .nanoseconds(lhs.nanosecondsSince1970 - rhs.nanosecondsSince1970)
    }

    public var description: String { "\(unixSeconds)s" }
}
