@testable import Devices
import Testing

@Suite struct SourceAddressPoolTests {
    @Test("a fleet one address holds binds nothing")
    func oneAddress() throws {
        let pool = try SourceAddressPool(fleetSize: 10_000, ephemeralPorts: 32768...60999)
        #expect(pool.addressCount == 1)
        #expect(pool.portsPerAddress == 28_232 - 1024)
        #expect(!pool.spreads)
        #expect(pool.address(forMember: 0) == nil)
        #expect(pool.address(forMember: 9_999) == nil)
        #expect(pool.addresses == ["127.0.0.1"])
    }

    @Test("a larger fleet is spread round-robin over the fewest addresses that hold it")
    func spread() throws {
        // 1000 ports, 100 reserved: 900 a member address; 2000 devices need 3.
        let pool = try SourceAddressPool(fleetSize: 2_000, ephemeralPorts: 40000...40999, reserve: 100)
        #expect(pool.addressCount == 3)
        #expect(pool.addresses == ["127.0.0.1", "127.0.0.2", "127.0.0.3"])
        #expect((0..<6).map { pool.address(forMember: $0) } == ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.1", "127.0.0.2", "127.0.0.3"])
        var counts: [String: Int] = [:]
        for index in 0..<2_000 { counts[pool.address(forMember: index) ?? "", default: 0] += 1 }
        #expect(counts.values.allSatisfy { $0 <= pool.portsPerAddress })
        #expect(counts.values.max()! - counts.values.min()! <= 1)
    }

    @Test("exactly full, and one more")
    func boundary() throws {
        #expect(try SourceAddressPool(fleetSize: 900, ephemeralPorts: 40000...40999, reserve: 100).addressCount == 1)
        #expect(try SourceAddressPool(fleetSize: 901, ephemeralPorts: 40000...40999, reserve: 100).addressCount == 2)
    }

    @Test("refused: an empty fleet, a range no larger than the reserve, more than 254 addresses")
    func refused() {
        #expect(throws: SourceAddressPool.Error.self) { try SourceAddressPool(fleetSize: 0, ephemeralPorts: 32768...60999) }
        #expect(throws: SourceAddressPool.Error.self) { try SourceAddressPool(fleetSize: 1, ephemeralPorts: 40000...40099, reserve: 100) }
        let error = #expect(throws: SourceAddressPool.Error.self) { try SourceAddressPool(fleetSize: 255 * 900, ephemeralPorts: 40000...40999, reserve: 100) }
        #expect(error?.description == "229500 devices need 255 source addresses of 900 ports each (ephemeral ports 40000-40999 less 100), more than the 254 of 127.0.0.1-127.0.0.254")
    }

    @Test("the port range file: two numbers, or Linux's default when unreadable")
    func rangeFile() {
        #expect(SourceAddressPool.parseRange("32768\t60999\n") == 32768...60999)
        #expect(SourceAddressPool.parseRange("1024 65535") == 1024...65535)
        #expect(SourceAddressPool.parseRange("60999 32768") == nil)
        #expect(SourceAddressPool.parseRange("x y") == nil)
        #expect(SourceAddressPool.ephemeralPortRange(path: "/no/such/file") == 32768...60999)
        let range = SourceAddressPool.ephemeralPortRange()
        #expect(range.count > 1000)
    }
}
