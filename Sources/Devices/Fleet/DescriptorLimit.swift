import Glibc

/// The process's limit of open descriptors. Every connection a run opens costs one or two (a
/// device's socket, the hub's side, a proxy's two), so `harness` raises the soft limit to the
/// hard one when it starts, as far as the system lets a process without privileges, and a
/// fleet checks its ``DescriptorBudget`` against the limit before it starts.
public enum DescriptorLimit {
    /// The soft and hard limits now; `(0, 0)` when the system does not say.
    public static func current() -> (soft: UInt64, hard: UInt64) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (0, 0) }
        return (UInt64(limit.rlim_cur), UInt64(limit.rlim_max))
    }

    /// Raises the soft limit to the hard one.
    /// - Returns: the limits after raising the soft one (`soft`, `hard`); the soft one stays
    ///   as it was when the system refuses.
    @discardableResult
    public static func raiseToHard() -> (soft: UInt64, hard: UInt64) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (0, 0) }
        // An unlimited hard limit still has the kernel's ceiling (fs.nr_open, 1 Mi by default).
        let target = limit.rlim_max == rlim_t.max ? 1 << 20 : limit.rlim_max
        if limit.rlim_cur < target {
            var raised = limit
            raised.rlim_cur = target
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return (UInt64(limit.rlim_cur), UInt64(limit.rlim_max))
    }

    /// Raises the soft limit as far as it goes, then checks `budget` against it.
    /// - Throws: ``DescriptorBudget/Shortfall`` saying plainly what is needed and what limits
    ///   it, before any device opens a connection.
    public static func ensure(_ budget: DescriptorBudget) throws(DescriptorBudget.Shortfall) {
        let (soft, hard) = raiseToHard()
        try budget.check(soft: soft, hard: hard)
    }
}
