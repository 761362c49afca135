/// When the hub gives memory back to the system. The C library keeps the memory that closed
/// connections freed for later use, so a process that once went through a thousand connections
/// (a reconnect storm, or an attack) would otherwise keep their memory for good.
///
/// Once at least ``burst`` connections have closed since memory last went back, the driver
/// checks every second; when the connections still open are at most half the peak seen since
/// then, memory goes back.
package struct MemoryReturnPolicy {
    /// What to do at a check.
    package enum Decision: Equatable {
        /// Give memory back; the next burst of closes arms the checks again.
        case returnMemory
        /// Nothing yet; check again in a second.
        case wait
        /// Not enough has closed: stop checking.
        case stop
    }

    /// Closed connections that make a burst worth giving memory back for.
    package let burst: Int
    private var peak = 0
    private var closedSinceReturn = 0

    /// - Parameter burst: closed connections that make a burst. Default: 64.
    package init(burst: Int = 64) {
        self.burst = burst
    }

    /// A connection opened; `open` are open now.
    package mutating func opened(open: Int) {
        peak = max(peak, open)
    }

    /// A connection closed.
    package mutating func closed() {
        closedSinceReturn += 1
    }

    /// Whether the driver should be checking every second.
    package var isWatching: Bool { closedSinceReturn >= burst }

    /// The periodic check, with `open` connections open now.
    package mutating func check(open: Int) -> Decision {
        guard closedSinceReturn >= burst else { return .stop }
        guard open <= peak / 2 else { return .wait }
        closedSinceReturn = 0
        peak = open
        return .returnMemory
    }
}
