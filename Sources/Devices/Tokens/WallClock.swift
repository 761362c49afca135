import Foundation

/// A device's wall clock: Unix time in nanoseconds. Devices read time only through it, so a
/// run can give them the simulated hub's clock (real time plus the scenario's jumps) and
/// tests can give them a manual one.
public protocol WallClock: Sendable {
    /// Nanoseconds since 1970-01-01 UTC.
    func unixNanoseconds() -> Int64
}

extension WallClock {
    /// Whole seconds since 1970, rounded down: what SAS `se` values count.
    public func unixSeconds() -> Int64 {
        let nanoseconds = unixNanoseconds()
        return nanoseconds >= 0 ? nanoseconds / 1_000_000_000 : (nanoseconds - 999_999_999) / 1_000_000_000
    }
}

/// The system's wall clock.
public struct SystemWallClock: WallClock {
    public init() {}

    public func unixNanoseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000_000) }
}
