import MQTTCore
import NIOCore
import NIOPosix
import Synchronization

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
    /// Seeds everything random in a run (the jitter of delay faults), so a run can be replayed
    /// (`--seed`). Default: a new random seed.
    public var seed: UInt64

    public init(
        group: any EventLoopGroup,
        clock: any MonotonicClock = SystemMonotonicClock(),
        actionTimeout: Duration = .seconds(10),
        deadlineScale: Double = 1,
        seed: UInt64 = UInt64.random(in: 0...UInt64.max)
    ) {
        self.group = group
        self.clock = clock
        self.actionTimeout = actionTimeout
        self.deadlineScale = max(1, deadlineScale)
        self.seed = seed
    }

    /// `duration` times ``deadlineScale``.
    func scaled(_ duration: Duration) -> Duration {
        deadlineScale == 1 ? duration : duration * deadlineScale
    }
}

/// Runs `operation`, giving up after `timeout`.
///
/// Not a task group: a group waits for all its children before it returns, and an operation
/// blocked on something that ignores cancellation (an `EventLoopFuture` a silent peer never
/// completes) would hold the caller past the deadline. Here the caller resumes at the deadline;
/// the operation is cancelled and left to end when its connection is closed.
/// - Returns: the operation's result, or `nil` if it timed out.
func withTimeout<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T? {
    let race = TimeoutRace<T>()
    return try await withCheckedThrowingContinuation { continuation in
        race.start(continuation)
        let work = Task {
            do {
                race.finish(.success(try await operation()))
            } catch {
                race.finish(.failure(error))
            }
        }
        Task {
            try? await Task.sleep(for: timeout)
            if race.finish(.success(nil)) { work.cancel() }
        }
    }
}

/// The continuation of ``withTimeout(_:_:)``, resumed by whichever finishes first.
private final class TimeoutRace<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T?, any Error>?>(nil)

    func start(_ continuation: CheckedContinuation<T?, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    /// Resumes the caller unless someone already did; returns whether this call did.
    @discardableResult
    func finish(_ result: Result<T?, any Error>) -> Bool {
        let pending = continuation.withLock { state -> CheckedContinuation<T?, any Error>? in
            defer { state = nil }
            return state
        }
        pending?.resume(with: result)
        return pending != nil
    }
}
