/// Makes C2D message ids for messages the sender gave none: version-4 UUID text, lower case,
/// from a generator seeded once from the system's random source, so an id costs no system call
/// (ids are unique labels, not secrets).
package struct MessageIDGenerator: Sendable {
    private var state: (UInt64, UInt64)

    package init() {
        var system = SystemRandomNumberGenerator()
        state = (system.next() | 1, system.next() | 1)
    }

    /// xorshift128+.
    private mutating func next() -> UInt64 {
        var s1 = state.0
        let s0 = state.1
        state.0 = s0
        s1 ^= s1 << 23
        state.1 = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26)
        return state.1 &+ s0
    }

    /// A new id such as `1b4e28ba-2fa1-41d2-883f-0016d3cca427`.
    package mutating func make() -> String {
        var high = next()
        var low = next()
        high = (high & ~0xF000) | 0x4000  // version 4
        low = (low & ~(0xC << 60)) | (0x8 << 60)  // variant 10
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(36)
        for (index, shift) in stride(from: 60, through: 0, by: -4).enumerated() {
            if index == 8 || index == 12 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(digits[Int((high >> UInt64(shift)) & 0xF)])
        }
        for (index, shift) in stride(from: 60, through: 0, by: -4).enumerated() {
            if index == 0 || index == 4 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(digits[Int((low >> UInt64(shift)) & 0xF)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
