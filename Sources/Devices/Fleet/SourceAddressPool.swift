import Foundation

/// The loopback source addresses a fleet's connections bind, so a fleet larger than one
/// address's ephemeral ports still connects: members are spread round-robin over
/// `127.0.0.1`, `127.0.0.2`, ... `127.0.0.k`, with `k` the fewest addresses whose ports hold
/// the fleet. Linux routes all of `127.0.0.0/8` to the loopback interface, so these addresses
/// need no setup; they only make sense towards a broker on loopback.
///
/// A connection to one destination takes one ephemeral port of its source address, from the
/// range in `/proc/sys/net/ipv4/ip_local_port_range` (28,232 ports by default). When one
/// address holds the whole fleet, every member gets `nil`: it does not bind, and the system
/// picks its address as it always does.
///
/// Pure: the port range is an input (``ephemeralPortRange()`` reads this machine's).
public struct SourceAddressPool: Sendable, Hashable {
    /// Why a fleet cannot be spread.
    public struct Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    /// The highest last byte used: `127.0.0.254` (`.255` is left alone, as a broadcast-like
    /// address some tools refuse).
    public static let highestAddress = 254

    /// The members the pool spreads.
    public let fleetSize: Int
    /// Connections one address may hold: the range's ports less ``reserve``.
    public let portsPerAddress: Int
    /// Addresses used (1 when the fleet fits on one, and then none is bound).
    public let addressCount: Int

    /// Spreads `fleetSize` members over as few loopback addresses as hold them.
    /// - Parameters:
    ///   - ephemeralPorts: the system's ephemeral port range (inclusive).
    ///   - reserve: ports of each address left for everything else the process and its
    ///     neighbours connect (the service API, a proxy's upstream side, other runs).
    ///     Default: 1024.
    /// - Throws: ``Error`` when the fleet is empty, the range is smaller than the reserve, or
    ///   the fleet needs more than 254 addresses.
    public init(fleetSize: Int, ephemeralPorts: ClosedRange<Int>, reserve: Int = 1024) throws(Error) {
        guard fleetSize >= 1 else { throw Error(description: "a fleet needs at least one device, not \(fleetSize)") }
        let ports = ephemeralPorts.count - max(0, reserve)
        guard ports >= 1 else {
            throw Error(description: "the ephemeral port range \(ephemeralPorts.lowerBound)-\(ephemeralPorts.upperBound) has \(ephemeralPorts.count) ports, no more than the \(reserve) kept in reserve")
        }
        let needed = (fleetSize + ports - 1) / ports
        guard needed <= Self.highestAddress else {
            throw Error(
                description: "\(fleetSize) devices need \(needed) source addresses of \(ports) ports each (ephemeral ports \(ephemeralPorts.lowerBound)-\(ephemeralPorts.upperBound) less \(reserve)), more than the \(Self.highestAddress) of 127.0.0.1-127.0.0.\(Self.highestAddress)"
            )
        }
        self.fleetSize = fleetSize
        self.portsPerAddress = ports
        self.addressCount = needed
    }

    /// Whether members bind a source address at all.
    public var spreads: Bool { addressCount > 1 }

    /// Every address in use, `127.0.0.1` first.
    public var addresses: [String] { (1...addressCount).map { "127.0.0.\($0)" } }

    /// The source address of member `index` (0-based): `nil` when one address holds the fleet,
    /// else `127.0.0.(1 + index % k)`.
    public func address(forMember index: Int) -> String? {
        guard spreads else { return nil }
        return "127.0.0.\(1 + ((index % addressCount) + addressCount) % addressCount)"
    }

    /// The system's ephemeral port range, read from `/proc/sys/net/ipv4/ip_local_port_range`;
    /// Linux's default (32768-60999) when that file is missing or unreadable.
    public static func ephemeralPortRange(path: String = "/proc/sys/net/ipv4/ip_local_port_range") -> ClosedRange<Int> {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return defaultEphemeralPorts }
        return parseRange(text) ?? defaultEphemeralPorts
    }

    /// Linux's default ephemeral port range.
    public static let defaultEphemeralPorts = 32768...60999

    /// The range in the text of `ip_local_port_range` (two numbers), or `nil`.
    static func parseRange(_ text: String) -> ClosedRange<Int>? {
        let numbers = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
        guard numbers.count == 2, numbers[0] >= 1, numbers[0] <= numbers[1], numbers[1] <= 65535 else { return nil }
        return numbers[0]...numbers[1]
    }
}
