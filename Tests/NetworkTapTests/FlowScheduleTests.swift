import Testing

@testable import NetworkTap

/// The departure schedule of one direction, with time passed in: delay and jitter, the rate
/// limit, slicing, FIFO order and holding.
@Suite struct FlowScheduleTests {
    static let ms: UInt64 = 1_000_000

    func schedule(_ conditions: FlowConditions, seed: UInt64 = 7, now: UInt64 = 0) -> FlowSchedule {
        FlowSchedule(conditions: conditions, generator: SeededGenerator(seed: seed), now: now)
    }

    @Test("with no conditions a chunk leaves whole, the moment it arrives")
    func passThrough() {
        var flow = schedule(.none)
        flow.enqueue(length: 100, arrivedAt: 5 * Self.ms)
        #expect(flow.nextDeparture == 5 * Self.ms)
        #expect(flow.takeDue(at: 5 * Self.ms) == [FlowSchedule.Piece(length: 100, departure: 5 * Self.ms, endsChunk: true)])
        #expect(flow.isEmpty)
        #expect(flow.queuedBytes == 0)
    }

    @Test("a delay adds exactly its duration to the arrival time, and nothing leaves early")
    func delay() {
        var flow = schedule(FlowConditions(delay: Int64(200 * Self.ms)))
        flow.enqueue(length: 10, arrivedAt: 1_000 * Self.ms)
        flow.enqueue(length: 20, arrivedAt: 1_050 * Self.ms)
        #expect(flow.takeDue(at: 1_199 * Self.ms).isEmpty)
        #expect(flow.takeDue(at: 1_200 * Self.ms).map(\.departure) == [1_200 * Self.ms])
        #expect(flow.nextDeparture == 1_250 * Self.ms)
        #expect(flow.queuedBytes == 20)
    }

    @Test("jitter stays within plus or minus its spread and is the same for the same seed")
    func jitterReproducible() {
        func departures(seed: UInt64) -> [UInt64] {
            var flow = schedule(FlowConditions(delay: Int64(100 * Self.ms), jitter: Int64(30 * Self.ms)), seed: seed)
            // Chunks far apart, so FIFO never moves one.
            for index in 0..<200 { flow.enqueue(length: 1, arrivedAt: UInt64(index) * 1_000 * Self.ms) }
            return flow.takeAll().enumerated().map { $1.departure - UInt64($0) * 1_000 * Self.ms }
        }
        let first = departures(seed: 42)
        #expect(first == departures(seed: 42))
        #expect(first != departures(seed: 43))
        #expect(first.allSatisfy { $0 >= 70 * Self.ms && $0 <= 130 * Self.ms })
        // Spread over the whole window, not bunched at the delay.
        #expect(first.contains { $0 < 85 * Self.ms } && first.contains { $0 > 115 * Self.ms })
    }

    @Test("a jitter larger than the delay never sends a chunk before it arrived")
    func jitterNeverBeforeArrival() {
        var flow = schedule(FlowConditions(delay: Int64(Self.ms), jitter: Int64(50 * Self.ms)))
        for index in 0..<100 { flow.enqueue(length: 1, arrivedAt: UInt64(index) * 1_000 * Self.ms) }
        let pieces = flow.takeAll()
        #expect(pieces.enumerated().allSatisfy { $1.departure >= UInt64($0) * 1_000 * Self.ms })
    }

    @Test("FIFO: under jitter a chunk never leaves before the one ahead of it", arguments: [1, 2, 3, 99] as [UInt64])
    func fifo(seed: UInt64) {
        var flow = schedule(FlowConditions(delay: Int64(20 * Self.ms), jitter: Int64(20 * Self.ms)), seed: seed)
        for index in 0..<500 { flow.enqueue(length: 3, arrivedAt: UInt64(index) * Self.ms / 2) }
        let pieces = flow.takeAll()
        #expect(pieces.count == 500)
        #expect(zip(pieces, pieces.dropFirst()).allSatisfy { $0.departure <= $1.departure })
        // Some were held back by the chunk ahead, so the test is not vacuous.
        var unbounded = SeededGenerator(seed: seed)
        let raw = (0..<500).map { UInt64($0) * Self.ms / 2 + UInt64(20 * Int64(Self.ms) + unbounded.symmetric(Int64(20 * Self.ms))) }
        #expect(zip(raw, raw.dropFirst()).contains { $0 > $1 })
    }

    @Test("slicing cuts a chunk into pieces of N bytes, 1 ms apart, the last one ending the chunk")
    func slicing() {
        var flow = schedule(FlowConditions(sliceBytes: 4))
        flow.enqueue(length: 10, arrivedAt: 0)
        let pieces = flow.takeAll()
        #expect(pieces.map(\.length) == [4, 4, 2])
        #expect(pieces.allSatisfy { $0.isSlice })
        #expect(pieces.map(\.departure) == [0, Self.ms, 2 * Self.ms])
        #expect(pieces.map(\.endsChunk) == [false, false, true])
        // The next chunk, arriving at once, waits for the pause after the last piece.
        flow.enqueue(length: 2, arrivedAt: 0)
        #expect(flow.nextDeparture == 3 * Self.ms)
    }

    @Test("a late caller gets one slice at a time, and the next waits the pause after it")
    func lateSlices() {
        var flow = schedule(FlowConditions(sliceBytes: 1))
        flow.enqueue(length: 3, arrivedAt: 0)
        #expect(flow.takeDue(at: 50 * Self.ms).map(\.length) == [1])
        #expect(flow.nextDeparture == 51 * Self.ms)
        #expect(flow.takeDue(at: 51 * Self.ms).count == 1)
        #expect(flow.takeDue(at: 51 * Self.ms).isEmpty)
        #expect(flow.takeDue(at: 52 * Self.ms).map(\.endsChunk) == [true])
        #expect(flow.isEmpty)
    }

    @Test("slices of 1 byte: one piece per byte")
    func slicesOfOne() {
        var flow = schedule(FlowConditions(sliceBytes: 1))
        flow.enqueue(length: 5, arrivedAt: 0)
        #expect(flow.takeAll().map(\.length) == [1, 1, 1, 1, 1])
    }

    @Test("a delay and slicing together: the first piece leaves at arrival + delay")
    func delayAndSlice() {
        var flow = schedule(FlowConditions(delay: Int64(100 * Self.ms), sliceBytes: 2))
        flow.enqueue(length: 4, arrivedAt: 10 * Self.ms)
        #expect(flow.takeAll().map(\.departure) == [110 * Self.ms, 111 * Self.ms])
    }

    @Test("bandwidth: 20 KB at 10 KB/s leaves over about 2 s, in pieces that fit the bucket")
    func bandwidth() {
        var flow = schedule(FlowConditions(bytesPerSecond: 10_000))
        flow.enqueue(length: 20_000, arrivedAt: 0)
        let pieces = flow.takeAll()
        #expect(pieces.allSatisfy { $0.length <= 100 })
        #expect(pieces.reduce(0) { $0 + $1.length } == 20_000)
        // The first 100 bytes (10 ms at the rate) leave at once; the rest at the rate.
        #expect(pieces.first?.departure == 0)
        #expect(pieces.last?.departure == 1_990 * Self.ms)
        // Never more bytes out by time t than the bucket plus the rate allow.
        var sent = 0
        for piece in pieces {
            sent += piece.length
            #expect(UInt64(sent) <= 100 + piece.departure * 10_000 / 1_000_000_000)
        }
    }

    @Test("holding: nothing leaves, and at release the pieces keep their spacing, shifted by the hold")
    func holdAndRelease() {
        var flow = schedule(FlowConditions(delay: Int64(10 * Self.ms)))
        flow.enqueue(length: 1, arrivedAt: 0)
        flow.hold(at: 5 * Self.ms)
        flow.enqueue(length: 2, arrivedAt: 7 * Self.ms)
        #expect(flow.nextDeparture == nil)
        #expect(flow.takeDue(at: 1_000 * Self.ms).isEmpty)
        flow.release(at: 1_005 * Self.ms)
        // Frozen for 1 s: the first piece had 5 ms left, the second counts as arrived at 5 ms.
        #expect(flow.takeAll() == [
            FlowSchedule.Piece(length: 1, departure: 1_010 * Self.ms, endsChunk: true),
            FlowSchedule.Piece(length: 2, departure: 1_015 * Self.ms, endsChunk: true),
        ])
    }

    @Test("a new condition applies to later chunks; they still leave after the ones scheduled before")
    func updateKeepsOrder() {
        var flow = schedule(FlowConditions(delay: Int64(500 * Self.ms)))
        flow.enqueue(length: 1, arrivedAt: 0)
        flow.update(.none, now: 10 * Self.ms)
        flow.enqueue(length: 1, arrivedAt: 10 * Self.ms)
        #expect(flow.takeAll().map(\.departure) == [500 * Self.ms, 500 * Self.ms])
    }

    @Test("discarding forgets every waiting byte")
    func discard() {
        var flow = schedule(FlowConditions(delay: Int64(Self.ms)))
        flow.enqueue(length: 9, arrivedAt: 0)
        flow.discardAll()
        #expect(flow.isEmpty)
        #expect(flow.queuedBytes == 0)
    }
}
