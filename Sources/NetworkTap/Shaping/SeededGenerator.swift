/// A small, fast, seeded random number generator (SplitMix64): the same seed gives the same
/// numbers on every run and platform, so a delay fault's jitter is reproducible.
package struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    package init(seed: UInt64) {
        state = seed
    }

    /// A generator for one stream of a proxy seeded with `seed`: connection `stream` and
    /// direction `lane` get their own sequence, so one connection's traffic never shifts the
    /// jitter of another.
    package init(seed: UInt64, stream: UInt64, lane: UInt64) {
        var mixer = SeededGenerator(seed: seed ^ (stream &* 0x9E37_79B9_7F4A_7C15) ^ (lane &* 0xC2B2_AE3D_27D4_EB4F))
        state = mixer.next()
    }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number drawn uniformly from `-spread...spread` (0 when `spread` is 0). Uses its own
    /// rejection sampling, so the sequence does not depend on the standard library's algorithm.
    package mutating func symmetric(_ spread: Int64) -> Int64 {
        guard spread > 0 else { return 0 }
        let width = UInt64(spread) * 2 + 1
        let limit = UInt64.max - UInt64.max % width
        while true {
            let value = next()
            if value < limit { return Int64(value % width) - spread }
        }
    }
}
