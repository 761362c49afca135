import Foundation
import IoTHubCore
import IoTHubSimulationCore
import MQTTCore
import Synchronization

/// The simulated hub's clock: real time plus an offset that scenarios jump forward
/// (`advance_clock`, `expire_token`), so token expiry, keep-alive caps and TTLs happen in
/// milliseconds. Nothing in the hub reads the wall clock directly; everything asks this clock.
///
/// Time advances with the injected monotonic clock from a fixed wall-clock origin, so it never
/// goes backwards even if the system clock is changed.
public final class HubClock: Sendable {
    private let monotonic: any MonotonicClock
    private let originWall: Int64
    private let originMonotonic: UInt64
    private let offset: Mutex<Int64>

    /// Creates a clock.
    /// - Parameters:
    ///   - start: the hub time at creation. Default: the system's current wall-clock time.
    ///   - monotonic: how real time passes. Default: the system monotonic clock.
    public init(start: HubTime? = nil, monotonic: any MonotonicClock = SystemMonotonicClock()) {
        self.monotonic = monotonic
        self.originWall = start?.nanosecondsSince1970 ?? Int64(Date().timeIntervalSince1970 * 1_000_000_000)
        self.originMonotonic = monotonic.nanoseconds()
        self.offset = Mutex(0)
    }

    /// The hub's current time.
    public func now() -> HubTime {
        let elapsed = Int64(clamping: monotonic.nanoseconds() &- originMonotonic)
        return HubTime(nanosecondsSince1970: originWall.saturatingAdding(elapsed).saturatingAdding(offset.withLock { $0 }))
    }

    /// How far the clock has been jumped ahead of real time.
    public var skew: Duration { .nanoseconds(offset.withLock { $0 }) }

    /// Jumps the clock forward by `duration` (negative durations are ignored: time never runs
    /// backwards).
    public func advance(by duration: Duration) {
        let nanoseconds = duration.nanoseconds
        guard nanoseconds > 0 else { return }
        offset.withLock { $0 = $0.saturatingAdding(nanoseconds) }
    }
}
