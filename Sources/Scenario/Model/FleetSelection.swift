import NetworkTap

/// The members of a fleet a step concerns: all of them, a range of indices, a percentage or
/// a number of them chosen at random with a seed, or one member (addressed by its id as a
/// device of its own).
public struct FleetSelection: Sendable, Hashable, CustomStringConvertible {
    public enum Subset: Sendable, Hashable {
        case all
        /// Member indices `lower...upper`.
        case range(ClosedRange<Int>)
        /// This percentage of the fleet, chosen with the seed.
        case percent(Double, seed: UInt64)
        /// This many members, chosen with the seed.
        case sample(Int, seed: UInt64)
    }

    /// The fleet's name.
    public var fleet: String
    public var subset: Subset

    public init(fleet: String, subset: Subset = .all) {
        self.fleet = fleet
        self.subset = subset
    }

    /// The member indices of a fleet of `count` devices the selection names, in order; the
    /// same on every shard (a shard then keeps those it holds).
    public func indices(fleetCount count: Int) -> [Int] {
        switch subset {
        case .all:
            return Array(0..<count)
        case .range(let range):
            return Array(range.clamped(to: 0...max(count - 1, 0)))
        case .percent(let percent, let seed):
            return Self.sample((Double(count) * percent / 100).rounded(.up), of: count, seed: seed)
        case .sample(let size, let seed):
            return Self.sample(Double(size), of: count, seed: seed)
        }
    }

    /// `size` distinct indices below `count` chosen by a seeded partial Fisher-Yates shuffle,
    /// sorted: the same for the same seed on every machine.
    static func sample(_ size: Double, of count: Int, seed: UInt64) -> [Int] {
        let size = min(count, max(0, Int(size)))
        var generator = SeededGenerator(seed: seed)
        var swapped: [Int: Int] = [:]
        var chosen: [Int] = []
        chosen.reserveCapacity(size)
        for position in 0..<size {
            let pick = position + Int(generator.next() % UInt64(count - position))
            let value = swapped[pick] ?? pick
            swapped[pick] = swapped[position] ?? position
            chosen.append(value)
        }
        return chosen.sorted()
    }

    public var description: String {
        switch subset {
        case .all: fleet
        case .range(let range): "\(fleet)[\(range.lowerBound)..\(range.upperBound)]"
        case .percent(let percent, let seed): "\(fleet)[\(Self.format(percent))% seed \(seed)]"
        case .sample(let size, let seed): "\(fleet)[\(size) at random, seed \(seed)]"
        }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// How many of the devices a fleet expectation concerns must satisfy it (`devices:`).
public enum DeviceQuorum: Sendable, Hashable, CustomStringConvertible {
    case all
    /// At least this many.
    case count(Int)
    /// At least this percentage (rounded up to whole devices).
    case percent(Double)

    /// The devices needed out of `total`.
    public func required(of total: Int) -> Int {
        switch self {
        case .all: total
        case .count(let count): min(count, total)
        case .percent(let percent): min(total, Int((Double(total) * percent / 100).rounded(.up)))
        }
    }

    public var description: String {
        switch self {
        case .all: "all"
        case .count(let count): "\(count)"
        case .percent(let percent): (percent == percent.rounded() ? String(Int(percent)) : String(percent)) + "%"
        }
    }
}
