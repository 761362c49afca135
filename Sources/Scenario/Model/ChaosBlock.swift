import IoTHubCore

/// A seeded chaos soak (`chaos:`): its steps run again and again for a while, faults from a
/// list strike at random intervals, and invariants must hold throughout and at the end.
public struct ChaosBlock: Sendable, Hashable {
    /// How long the steps keep running.
    public var duration: Duration
    /// The shortest and longest wait between two strikes.
    public var interval: ClosedRange<Duration>
    /// The faults a strike picks from, each with its own `for`.
    public var faults: [FaultSpec]
    /// The steps run in a loop.
    public var steps: [Step]
    /// What must hold throughout and at the end.
    public var invariants: [ChaosInvariant]
    /// The block's own seed; `nil`: the run's (`--seed`).
    public var seed: UInt64?

    public init(duration: Duration, interval: ClosedRange<Duration>, faults: [FaultSpec], steps: [Step], invariants: [ChaosInvariant], seed: UInt64? = nil) {
        self.duration = duration
        self.interval = interval
        self.faults = faults
        self.steps = steps
        self.invariants = invariants
        self.seed = seed
    }
}

/// What a chaos block checks for every device of the scenario.
public enum ChaosInvariant: Sendable, Hashable, CustomStringConvertible {
    /// No C2D message the hub or broker accepted is lost (a QoS 1 duplicate is allowed).
    case delivered
    /// The LED ends in the state the last delivered message asked for (`on`: on, anything
    /// else: off, as the seed firmware's callback).
    case ledFollowsDelivered
    /// Every drop is followed by a reconnect within this long.
    case reconnectedWithin(Duration)

    public var description: String {
        switch self {
        case .delivered: "delivered"
        case .ledFollowsDelivered: "led_follows_delivered"
        case .reconnectedWithin(let duration): "reconnected_within \(ScenarioDuration.format(duration))"
        }
    }
}

/// What a chaos block did: for its step result and the reports.
public struct ChaosOutcome: Sendable, Hashable {
    /// The seed it ran with: `--seed` replays it.
    public var seed: UInt64
    public var iterations: Int
    /// The faults that struck, in order.
    public var strikes: [String]
}
