import Testing

@testable import NetworkTap

/// The rate limit's arithmetic, exact in integers.
@Suite struct TokenBucketTests {
    @Test("the bucket holds 10 ms of traffic, at least 1 byte and at most 64 KiB")
    func capacity() {
        #expect(TokenBucket(bytesPerSecond: 10_000, now: 0).capacity == 100)
        #expect(TokenBucket(bytesPerSecond: 10, now: 0).capacity == 1)
        #expect(TokenBucket(bytesPerSecond: 1_000_000_000, now: 0).capacity == 65_536)
    }

    @Test("a full bucket lets its capacity leave at once, then one byte per 1/rate")
    func arithmetic() {
        var bucket = TokenBucket(bytesPerSecond: 1_000, now: 0)  // 1 byte per ms, 10 bytes held
        #expect(bucket.take(10, readyAt: 0) == 0)
        #expect(bucket.take(1, readyAt: 0) == 1_000_000)
        #expect(bucket.take(5, readyAt: 0) == 6_000_000)
        // Idle for a second: refills to its capacity, not more.
        #expect(bucket.tokens(at: 1_006_000_000) == 10)
        #expect(bucket.take(10, readyAt: 1_006_000_000) == 1_006_000_000)
        #expect(bucket.take(10, readyAt: 1_006_000_000) == 1_016_000_000)
    }

    @Test("a rate that does not divide a second rounds each departure up, never early")
    func roundsUp() {
        var bucket = TokenBucket(bytesPerSecond: 3, now: 0)  // capacity 1
        #expect(bucket.take(1, readyAt: 0) == 0)
        // 1/3 s = 333,333,333.3 ns: rounded up.
        #expect(bucket.take(1, readyAt: 0) == 333_333_334)
        #expect(bucket.take(1, readyAt: 0) == 666_666_667)
        #expect(bucket.take(1, readyAt: 0) == 1_000_000_000)
    }

    @Test("a very long idle time does not overflow")
    func longIdle() {
        var bucket = TokenBucket(bytesPerSecond: 1_000_000_000, now: 0)
        _ = bucket.take(65_536, readyAt: 0)
        #expect(bucket.tokens(at: UInt64(Int64.max)) == 65_536)
    }
}
