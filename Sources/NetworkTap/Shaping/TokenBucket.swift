/// A token bucket in exact integer arithmetic: tokens refill at `bytesPerSecond` up to
/// `capacity` bytes, and a piece of bytes leaves once the bucket holds as many tokens as it has
/// bytes. Times are nanoseconds on the proxy's clock; nothing here reads a clock.
package struct TokenBucket: Sendable, Hashable {
    /// The refill rate.
    package let bytesPerSecond: Int
    /// The most bytes that can leave at once (the bucket's size).
    package let capacity: Int
    /// Tokens held, in byte-nanoseconds per second (bytes x 10^9), exact.
    private var scaledTokens: UInt64
    private var updatedAt: UInt64

    /// A full bucket at `now` holding `window` of traffic (at least 1 byte, at most 64 KiB).
    package init(bytesPerSecond: Int, window: Duration = .milliseconds(10), now: UInt64) {
        precondition(bytesPerSecond > 0, "a validated fault has a positive rate")
        self.bytesPerSecond = bytesPerSecond
        let windowNanoseconds = max(1, window.nanosecondCount)
        let bytes = Int((Int64(bytesPerSecond).multipliedReportingOverflow(by: windowNanoseconds).partialValue) / 1_000_000_000)
        capacity = min(65_536, max(1, bytes))
        scaledTokens = UInt64(capacity) * 1_000_000_000
        updatedAt = now
    }

    /// The bytes the bucket holds at `now` (rounded down).
    package func tokens(at now: UInt64) -> Int {
        var copy = self
        copy.refill(to: now)
        return Int(copy.scaledTokens / 1_000_000_000)
    }

    private mutating func refill(to now: UInt64) {
        guard now > updatedAt else { return }
        let full = UInt64(capacity) * 1_000_000_000
        let missing = full - scaledTokens
        let rate = UInt64(bytesPerSecond)
        let elapsed = now - updatedAt
        // Compare before multiplying: rate x elapsed can overflow for a long idle time.
        if elapsed >= (missing + rate - 1) / rate {
            scaledTokens = full
        } else {
            scaledTokens += rate * elapsed
        }
        updatedAt = now
    }

    /// Takes `length` bytes' worth of tokens for a piece ready at `ready`.
    /// - Parameter length: at most ``capacity``.
    /// - Returns: when the piece may leave (`ready` if the bucket held enough).
    package mutating func take(_ length: Int, readyAt ready: UInt64) -> UInt64 {
        precondition(length > 0 && length <= capacity, "pieces under a bandwidth limit fit the bucket")
        let start = max(ready, updatedAt)
        refill(to: start)
        let needed = UInt64(length) * 1_000_000_000
        if scaledTokens >= needed {
            scaledTokens -= needed
            return start
        }
        let rate = UInt64(bytesPerSecond)
        let wait = (needed - scaledTokens + rate - 1) / rate
        let departure = start + wait
        // At `departure` the bucket holds `needed` (or a hair more from rounding up); spend it.
        scaledTokens = scaledTokens + wait * rate - needed
        updatedAt = departure
        return departure
    }

    /// Moves the bucket's time forward by `nanoseconds` without refilling (a frozen link).
    package mutating func shift(by nanoseconds: UInt64) {
        updatedAt += nanoseconds
    }
}
