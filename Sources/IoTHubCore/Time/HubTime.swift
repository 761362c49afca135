import MQTTCore

/// A point in IoT Hub's time: nanoseconds since 1970-01-01 UTC. On the simulated hub it is
/// read from the hub's clock, which may run ahead of real time (`HubClock`); a C2D message's
/// absolute expiry is one too.
public struct HubTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var nanosecondsSince1970: Int64

    public init(nanosecondsSince1970: Int64) {
        self.nanosecondsSince1970 = nanosecondsSince1970
    }

    /// The start of second `unixSeconds`; seconds beyond the range of nanoseconds a 64-bit
    /// integer holds (about the year 2262) saturate to the largest or smallest time.
    public init(unixSeconds: Int64) {
        self.nanosecondsSince1970 = unixSeconds.saturatingMultiplied(by: 1_000_000_000)
    }

    /// Whole seconds since 1970, rounded down: what SAS `se` values are compared against.
    public var unixSeconds: Int64 {
        let (seconds, remainder) = nanosecondsSince1970.quotientAndRemainder(dividingBy: 1_000_000_000)
        return remainder < 0 ? seconds - 1 : seconds
    }

    public static func < (lhs: HubTime, rhs: HubTime) -> Bool { lhs.nanosecondsSince1970 < rhs.nanosecondsSince1970 }

    public static func + (lhs: HubTime, rhs: Duration) -> HubTime {
        HubTime(nanosecondsSince1970: lhs.nanosecondsSince1970.saturatingAdding(rhs.nanoseconds))
    }

    public static func - (lhs: HubTime, rhs: HubTime) -> Duration {
        .nanoseconds(lhs.nanosecondsSince1970.saturatingSubtracting(rhs.nanosecondsSince1970))
    }

    public var description: String { "\(unixSeconds)s" }

    /// ISO 8601 in UTC with seven fractional digits, as IoT Hub writes `$.exp`:
    /// `2020-07-25T14:14:25.1720000Z`.
    public var iso8601: String {
        let seconds = unixSeconds
        let remainder = nanosecondsSince1970 % 1_000_000_000
        let fraction = (remainder < 0 ? remainder + 1_000_000_000 : remainder) / 100
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay % 3600 / 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 7))Z"
    }
}
