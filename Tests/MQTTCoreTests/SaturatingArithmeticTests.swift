import MQTTCore
import Testing

@Suite struct SaturatingArithmeticTests {
    @Test("in range: the plain result")
    func inRange() {
        #expect(Int64(40).saturatingAdding(2) == 42)
        #expect(Int64(40).saturatingSubtracting(-2) == 42)
        #expect(Int64(-6).saturatingMultiplied(by: -7) == 42)
    }

    @Test("out of range: the bound on the side the result lies")
    func bounds() {
        #expect(Int64.max.saturatingAdding(1) == .max)
        #expect(Int64.min.saturatingAdding(-1) == .min)
        #expect(Int64.min.saturatingSubtracting(1) == .min)
        #expect(Int64.max.saturatingSubtracting(-1) == .max)
        #expect(Int64.max.saturatingMultiplied(by: 1_000_000_000) == .max)
        #expect(Int64.max.saturatingMultiplied(by: -2) == .min)
        #expect(Int64.min.saturatingMultiplied(by: -1) == .max)
        #expect(Int64.min.saturatingMultiplied(by: 2) == .min)
    }
}
