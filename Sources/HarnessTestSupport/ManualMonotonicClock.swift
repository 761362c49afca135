import MQTTCore
import Synchronization

/// A monotonic clock whose time moves only when a test advances it.
public final class ManualMonotonicClock: MonotonicClock {
    private let current: Mutex<UInt64>

    public init(start: UInt64 = 1_000_000_000) {
        current = Mutex(start)
    }

    public func nanoseconds() -> UInt64 { current.withLock { $0 } }

    public func advance(by duration: Duration) {
        current.withLock { $0 += UInt64(max(0, duration.nanoseconds)) }
    }
}
