import MQTTCore
import NIOCore
import NIOPosix

/// What a run needs from the outside: threads for the hub and devices, and the clock every
/// observation is stamped with. One environment serves many scenario runs.
public struct RunEnvironment: Sendable {
    public var group: any EventLoopGroup
    public var clock: any MonotonicClock
    /// Longest time a blocking action (connect, subscribe) may take before the step errors.
    /// Default: 10 s.
    public var actionTimeout: Duration
    /// Multiplies every `within` deadline and the action timeout, for slow or heavily loaded
    /// machines (`--deadline-scale`). `for` windows keep their length: a slow machine needs
    /// more time to see something happen, not to see it not happen. Default: 1.
    public var deadlineScale: Double

    public init(
        group: any EventLoopGroup,
        clock: any MonotonicClock = SystemMonotonicClock(),
        actionTimeout: Duration = .seconds(10),
        deadlineScale: Double = 1
    ) {
        self.group = group
        self.clock = clock
        self.actionTimeout = actionTimeout
        self.deadlineScale = max(1, deadlineScale)
    }

    /// `duration` times ``deadlineScale``.
    func scaled(_ duration: Duration) -> Duration {
        deadlineScale == 1 ? duration : duration * deadlineScale
    }
}

/// Runs `operation`, giving up after `timeout`.
/// - Returns: the operation's result, or `nil` if it timed out.
func withTimeout<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T? {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        let first = try await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
