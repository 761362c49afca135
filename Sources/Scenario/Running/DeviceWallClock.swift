import Devices
import Synchronization

/// A device's own wall clock: the backend's (the simulated hub's clock with its jumps, or the
/// system's), off by the skew a `clock_skew` fault sets. The device's timers and the tokens
/// the harness mints for it read it, so a skewed device dates its tokens wrong as a board
/// without NTP does.
final class DeviceWallClock: WallClock {
    private let base: any WallClock
    private let skew = Atomic<Int64>(0)

    init(base: any WallClock) {
        self.base = base
    }

    func unixNanoseconds() -> Int64 {
        base.unixNanoseconds() &+ skew.load(ordering: .relaxed)
    }

    /// Sets how far the clock is off (negative: behind); `.zero` puts it right.
    func setSkew(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        skew.store(seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000, ordering: .relaxed)
    }
}
