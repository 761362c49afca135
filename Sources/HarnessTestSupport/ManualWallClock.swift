import Devices
import MQTTCore
import Synchronization

/// A wall clock whose time moves only when a test moves it.
public final class ManualWallClock: WallClock {
    private let current: Mutex<Int64>

    /// Starts at `unixSeconds` (default: 2026-01-01).
    public init(unixSeconds: Int64 = 1_767_225_600) {
        current = Mutex(unixSeconds * 1_000_000_000)
    }

    public func unixNanoseconds() -> Int64 { current.withLock { $0 } }

    public func advance(by duration: Duration) {
        current.withLock { $0 += max(0, duration.nanoseconds) }
    }
}
