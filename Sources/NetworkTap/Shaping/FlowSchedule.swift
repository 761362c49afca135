/// How the bytes one way through the proxy are shaped: the conditions of the active delay,
/// bandwidth and slice faults for that direction. Nanoseconds and bytes, validated upstream.
package struct FlowConditions: Sendable, Hashable {
    /// Added to each chunk's arrival time.
    package var delay: Int64 = 0
    /// Each chunk's delay varies uniformly within plus or minus this.
    package var jitter: Int64 = 0
    /// The rate limit, if any.
    package var bytesPerSecond: Int?
    /// The largest piece written at once, if slicing.
    package var sliceBytes: Int?

    package init(delay: Int64 = 0, jitter: Int64 = 0, bytesPerSecond: Int? = nil, sliceBytes: Int? = nil) {
        self.delay = delay
        self.jitter = jitter
        self.bytesPerSecond = bytesPerSecond
        self.sliceBytes = sliceBytes
    }

    /// No shaping: bytes leave as they arrive.
    package static let none = FlowConditions()
}

/// The departure schedule of the bytes flowing one way through one proxied connection.
///
/// A chunk read from one side is cut into pieces, and each piece gets the time it may be
/// written to the other side, from the chunk's arrival time and the conditions active when it
/// arrived. Invariants: pieces leave in the order the bytes arrived (a piece never leaves before
/// the one ahead of it), no piece leaves before its bytes arrived, and while the flow is held
/// (a blackhole) nothing leaves; at release the held pieces keep their spacing, shifted by the
/// time the link was frozen. Pure: times are passed in, nothing reads a clock.
package struct FlowSchedule: Sendable {
    /// A piece of a chunk and the time it may leave.
    package struct Piece: Sendable, Hashable {
        /// Bytes from the front of the oldest chunk not yet written.
        package var length: Int
        /// When the piece may be written (nanoseconds on the proxy's clock).
        package var departure: UInt64
        /// Whether this piece is the last of its chunk.
        package var endsChunk: Bool
        /// Whether it is a slice: written alone, with a pause before the next piece.
        package var isSlice: Bool

        package init(length: Int, departure: UInt64, endsChunk: Bool, isSlice: Bool = false) {
            self.length = length
            self.departure = departure
            self.endsChunk = endsChunk
            self.isSlice = isSlice
        }
    }

    /// The pause after each piece of a sliced flow, in nanoseconds.
    package static let slicePause = UInt64(LinkFault.slicePause.nanosecondCount)

    package private(set) var conditions: FlowConditions
    private var generator: SeededGenerator
    private var bucket: TokenBucket?
    private var pieces: [Piece] = []
    private var head = 0
    private var lastDeparture: UInt64 = 0
    private var lastWasSliced = false
    /// When the flow was frozen, while it is.
    package private(set) var heldSince: UInt64?
    /// Bytes waiting to leave.
    package private(set) var queuedBytes = 0

    package init(conditions: FlowConditions = .none, generator: SeededGenerator, now: UInt64) {
        self.conditions = conditions
        self.generator = generator
        bucket = conditions.bytesPerSecond.map { TokenBucket(bytesPerSecond: $0, now: now) }
    }

    /// Whether nothing waits to leave.
    package var isEmpty: Bool { head == pieces.count }

    /// Whether the flow is frozen (a blackhole).
    package var isHeld: Bool { heldSince != nil }

    /// The time the next piece may leave; `nil` when nothing waits or the flow is held.
    package var nextDeparture: UInt64? {
        guard heldSince == nil, head < pieces.count else { return nil }
        return pieces[head].departure
    }

    /// Takes new conditions for the chunks that arrive from now on; pieces already scheduled
    /// keep their times, and later pieces still leave after them.
    package mutating func update(_ conditions: FlowConditions, now: UInt64) {
        if conditions.bytesPerSecond != self.conditions.bytesPerSecond {
            bucket = conditions.bytesPerSecond.map { TokenBucket(bytesPerSecond: $0, now: now) }
        }
        self.conditions = conditions
    }

    /// Schedules a chunk of `length` bytes that arrived at `arrival`. While the flow is held the
    /// chunk counts as arrived when the link froze.
    package mutating func enqueue(length: Int, arrivedAt arrival: UInt64) {
        guard length > 0 else { return }
        let arrival = heldSince.map { min($0, arrival) } ?? arrival
        var ready = arrival
        if conditions.delay > 0 || conditions.jitter > 0 {
            let offset = conditions.delay + generator.symmetric(conditions.jitter)
            ready = offset > 0 ? arrival + UInt64(offset) : arrival
        }
        ready = max(ready, lastWasSliced ? lastDeparture + Self.slicePause : lastDeparture)
        var size = conditions.sliceBytes ?? length
        if let bucket { size = min(size, bucket.capacity) }
        let isSliced = conditions.sliceBytes != nil
        var remaining = length
        while remaining > 0 {
            let piece = min(size, remaining)
            remaining -= piece
            var departure = ready
            if var limit = bucket {
                departure = limit.take(piece, readyAt: ready)
                bucket = limit
            }
            pieces.append(Piece(length: piece, departure: departure, endsChunk: remaining == 0, isSlice: isSliced))
            lastDeparture = departure
            ready = isSliced ? departure + Self.slicePause : departure
        }
        lastWasSliced = isSliced
        queuedBytes += length
    }

    /// Takes the pieces that may leave at `now`, in order (none while held). A slice leaves
    /// alone: when the caller comes late and several are due, it gets one, and the next waits
    /// the pause after `now`, so the receiver still reads them apart.
    package mutating func takeDue(at now: UInt64) -> [Piece] {
        guard heldSince == nil else { return [] }
        var due: [Piece] = []
        while head < pieces.count, pieces[head].departure <= now {
            let piece = pieces[head]
            due.append(piece)
            head += 1
            if piece.isSlice {
                if head < pieces.count { pieces[head].departure = max(pieces[head].departure, now + Self.slicePause) }
                lastDeparture = max(lastDeparture, now)
                break
            }
        }
        compact(after: due)
        return due
    }

    /// Takes every waiting piece at once, held or not (for a clean close).
    package mutating func takeAll() -> [Piece] {
        let all = Array(pieces[head...])
        head = pieces.count
        compact(after: all)
        return all
    }

    /// Forgets every waiting piece (for a reset).
    package mutating func discardAll() {
        pieces.removeAll()
        head = 0
        queuedBytes = 0
    }

    /// Freezes the flow at `now`: nothing leaves until ``release(at:)``.
    package mutating func hold(at now: UInt64) {
        if heldSince == nil { heldSince = now }
    }

    /// Unfreezes the flow at `now`: every waiting piece, the rate limit and the FIFO bound move
    /// later by the time the flow was held, so the link resumes as it was when it froze.
    package mutating func release(at now: UInt64) {
        guard let since = heldSince else { return }
        heldSince = nil
        let frozen = now > since ? now - since : 0
        for index in pieces.indices where index >= head { pieces[index].departure += frozen }
        if lastDeparture >= since { lastDeparture += frozen }
        bucket?.shift(by: frozen)
    }

    private mutating func compact(after taken: [Piece]) {
        queuedBytes -= taken.reduce(0) { $0 + $1.length }
        if head == pieces.count {
            pieces.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024 {
            pieces.removeFirst(head)
            head = 0
        }
    }
}
