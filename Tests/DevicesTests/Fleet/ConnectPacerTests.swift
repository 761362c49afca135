import Devices
import HarnessTestSupport
import Testing

/// The token bucket on a manual clock: time moves only when the test moves it.
@Suite struct ConnectPacerTests {
    @Test("starts full: the first burst goes at once, then one token per 1/rate")
    func burstThenRate() throws {
        let clock = ManualMonotonicClock()
        var pacer = try ConnectPacer(rate: 1000, burst: 10, now: clock.nanoseconds())
        #expect(pacer.take(upTo: 50, now: clock.nanoseconds()) == 10)
        #expect(pacer.take(upTo: 50, now: clock.nanoseconds()) == 0)
        #expect(pacer.nextToken(now: clock.nanoseconds()) == clock.nanoseconds() + 1_000_000)
        clock.advance(by: .microseconds(999))
        #expect(pacer.take(upTo: 50, now: clock.nanoseconds()) == 0)
        clock.advance(by: .microseconds(1))
        #expect(pacer.take(upTo: 50, now: clock.nanoseconds()) == 1)
        clock.advance(by: .milliseconds(5))
        #expect(pacer.take(upTo: 50, now: clock.nanoseconds()) == 5)
    }

    @Test("a long pause refills only up to the burst")
    func capped() throws {
        let clock = ManualMonotonicClock()
        var pacer = try ConnectPacer(rate: 100, burst: 3, now: clock.nanoseconds())
        #expect(pacer.take(upTo: 3, now: clock.nanoseconds()) == 3)
        clock.advance(by: .seconds(60))
        #expect(pacer.take(upTo: 100, now: clock.nanoseconds()) == 3)
        #expect(pacer.take(upTo: 100, now: clock.nanoseconds()) == 0)
    }

    @Test("taken in any steps, the rate holds: 1000/s for 10 s gives 10,000 connects and the burst")
    func rateHolds() throws {
        let clock = ManualMonotonicClock()
        var pacer = try ConnectPacer(rate: 1000, now: clock.nanoseconds())
        #expect(pacer.burst == 10)
        var taken = 0
        var step = 0
        let end = clock.nanoseconds() + 10_000_000_000
        while clock.nanoseconds() < end {
            taken += pacer.take(upTo: 7, now: clock.nanoseconds())
            // Uneven sleeps, as a loaded machine's are: 0.3 ms to 2.9 ms.
            step = (step + 1) % 9
            clock.advance(by: .microseconds(300 + step * 325))
        }
        taken += pacer.take(upTo: 100, now: clock.nanoseconds())
        #expect((10_000...10_013).contains(taken), "\(taken)")
    }

    @Test("waits for the next token when empty; takes none when none is wanted")
    func nextToken() throws {
        let clock = ManualMonotonicClock()
        var pacer = try ConnectPacer(rate: 3, burst: 1, now: clock.nanoseconds())
        #expect(pacer.nextToken(now: clock.nanoseconds()) == clock.nanoseconds())
        #expect(pacer.take(upTo: 0, now: clock.nanoseconds()) == 0)
        #expect(pacer.take(upTo: 1, now: clock.nanoseconds()) == 1)
        let next = pacer.nextToken(now: clock.nanoseconds())
        #expect(next == clock.nanoseconds() + 333_333_334)
        clock.advance(by: .nanoseconds(333_333_334))
        #expect(pacer.take(upTo: 1, now: clock.nanoseconds()) == 1)
    }

    @Test("refused: a rate that is not positive and finite, a burst below 1", arguments: [0, -1, Double.nan, Double.infinity, 2_000_000])
    func badRate(rate: Double) {
        #expect(throws: ConnectPacer.Error.self) { try ConnectPacer(rate: rate, now: 0) }
    }

    @Test("refused: a burst below 1")
    func badBurst() {
        #expect(throws: ConnectPacer.Error.self) { try ConnectPacer(rate: 10, burst: 0, now: 0) }
    }
}
