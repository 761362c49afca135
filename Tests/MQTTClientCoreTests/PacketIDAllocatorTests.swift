import MQTTClientCore
import Testing

@Suite struct PacketIDAllocatorTests {
    @Test("counts from 1 and skips identifiers in flight")
    func skipsInFlight() {
        var allocator = PacketIDAllocator()
        #expect(allocator.next { _ in false } == 1)
        #expect(allocator.next { $0 == 2 || $0 == 3 } == 4)
        #expect(allocator.last == 4)
    }

    @Test("wraps after 65,535 back to 1, skipping identifiers still in flight")
    func wraps() {
        var allocator = PacketIDAllocator()
        var id: UInt16?
        for _ in 0..<65_535 { id = allocator.next { _ in false } }
        #expect(id == 65_535)
        #expect(allocator.next { $0 == 1 } == 2)
    }

    @Test("gives none when all 65,535 are in flight")
    func exhausted() {
        var allocator = PacketIDAllocator()
        #expect(allocator.next { _ in true } == nil)
        #expect(allocator.last == 0)
    }
}
