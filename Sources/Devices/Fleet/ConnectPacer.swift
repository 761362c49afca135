/// A token bucket that paces a fleet's connects: tokens accrue at ``rate`` per second up to
/// ``burst``, and each connect takes one. Pure: every call takes the time (monotonic
/// nanoseconds) and nothing reads a clock.
///
/// The bucket starts full, so the first ``burst`` connects go at once; after that the rate
/// holds over any window longer than `burst / rate`. A burst above 1 lets a caller whose
/// sleeps overshoot (a timer is never exact) catch up instead of falling behind the rate.
public struct ConnectPacer: Sendable, Hashable {
    /// Why a pacer cannot be made.
    public struct Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// Tokens per second.
    public let rate: Double
    /// The most tokens the bucket holds.
    public let burst: Int
    /// Tokens now, as of ``updated``.
    public private(set) var tokens: Double
    /// When ``tokens`` was last brought up to date.
    public private(set) var updated: UInt64

    /// The burst that lets 10 ms of connects go at once (at least 1): at 1000/s, 10.
    public static func defaultBurst(rate: Double) -> Int {
        max(1, Int((rate / 100).rounded(.down)))
    }

    /// A full bucket at `now`.
    /// - Throws: ``Error`` when `rate` is not a positive finite number (at most 1,000,000 a
    ///   second) or `burst` is below 1.
    public init(rate: Double, burst: Int? = nil, now: UInt64) throws(Error) {
        guard rate.isFinite, rate > 0, rate <= 1_000_000 else {
            throw Error(description: "a connect rate must be more than 0 and at most 1000000 a second, not \(rate)")
        }
        let burst = burst ?? Self.defaultBurst(rate: rate)
        guard burst >= 1 else { throw Error(description: "a connect burst must be at least 1, not \(burst)") }
        self.rate = rate
        self.burst = burst
        self.tokens = Double(burst)
        self.updated = now
    }

    /// Takes as many tokens as are whole now, at most `wanted`, and returns how many it took.
    public mutating func take(upTo wanted: Int, now: UInt64) -> Int {
        refill(now: now)
        let taken = max(0, min(wanted, Int(tokens.rounded(.down))))
        tokens -= Double(taken)
        return taken
    }

    /// When the next whole token is there: `now` when one already is, else the first instant
    /// at which it will be (nanoseconds, rounded up).
    public func nextToken(now: UInt64) -> UInt64 {
        var copy = self
        copy.refill(now: now)
        guard copy.tokens < 1 else { return now }
        let missing = 1 - copy.tokens
        let wait = (missing / rate * 1e9).rounded(.up)
        return now &+ UInt64(max(1, wait))
    }

    private mutating func refill(now: UInt64) {
        guard now > updated else { return }
        let elapsed = Double(now - updated) / 1e9
        tokens = min(Double(burst), tokens + elapsed * rate)
        updated = now
    }
}
