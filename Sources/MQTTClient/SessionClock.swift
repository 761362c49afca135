import MQTTCore
import NIOCore

/// The clock a driver gives its session: nanoseconds, and how long the driver may sleep
/// before asking the session again.
public struct SessionClock: Sendable {
    /// The time now, in nanoseconds.
    public var now: @Sendable () -> Int64
    /// The longest sleep before the driver calls ``MQTTClientSession/tick(now:)`` again; for a
    /// clock that can jump (a scenario's `advance_clock`), so a jump is noticed soon. `nil`
    /// sleeps until the deadline.
    public var longestSleep: Int64?

    public init(now: @escaping @Sendable () -> Int64, longestSleep: Int64? = nil) {
        self.now = now
        self.longestSleep = longestSleep
    }

    /// A monotonic clock, which never jumps.
    public static func monotonic(_ clock: any MonotonicClock) -> SessionClock {
        SessionClock(now: { Int64(truncatingIfNeeded: clock.nanoseconds()) })
    }
}
