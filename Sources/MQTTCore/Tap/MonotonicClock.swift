import NIOCore

/// A source of monotonic time in nanoseconds. Injected wherever packets or events are stamped,
/// so tests can control time and every stamp in a run comes from one clock.
public protocol MonotonicClock: Sendable {
    /// Nanoseconds since an arbitrary fixed point; never decreases.
    func nanoseconds() -> UInt64
}

/// The system's monotonic clock (`CLOCK_MONOTONIC`).
public struct SystemMonotonicClock: MonotonicClock {
    public init() {}

    @inlinable
    public func nanoseconds() -> UInt64 { NIODeadline.now().uptimeNanoseconds }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating at Int64 bounds).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, overflow2) = product.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow2 ? (product < 0 ? .min : .max) : sum
    }
}
