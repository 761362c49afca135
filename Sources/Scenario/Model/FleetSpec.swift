import Foundation
import Devices
import IoTHubCore

/// Many devices made from one template (`fleet:` or each item of `fleets:`): ids from a
/// pattern, keys derived from one group key, and the members this run holds (all of them, or
/// one shard's range).
public struct FleetSpec: Sendable, Hashable {
    /// The most devices one fleet may have.
    public static let maximumCount = 100_000
    /// The most devices all fleets of a scenario may have together.
    public static let maximumTotal = 200_000

    /// The name steps address the fleet by (`device: sensors`).
    public var name: String
    /// How member ids are made from their index (`sensor-${index}`).
    public var idPattern: FleetIDPattern
    /// How many devices the fleet has in the whole test (every shard together).
    public var count: Int
    /// The settings every member shares; its id is the first member's.
    public var template: DeviceSpec
    /// Connects per second when a step connects the fleet (`connect_rate: 1000/s`); `nil`: as
    /// fast as the machine allows.
    public var connectRate: Double?
    /// The group key members' keys are derived from (``DeviceKey/derived(fromGroupKey:registrationID:)``);
    /// `nil`: a random one per run (the simulated hub registers whatever the run makes). Secret.
    public var groupKey: DeviceKey?
    /// Keys read from a device list (`keys_file`), which win over derived ones. Secret.
    public var listedKeys: [DeviceID: DeviceKey] = [:]
    /// The member indices this run holds: `0..<count`, or one shard's part of it.
    public var members: Range<Int>

    public init(name: String, idPattern: FleetIDPattern, count: Int, template: DeviceSpec, connectRate: Double? = nil, groupKey: DeviceKey? = nil) {
        self.name = name
        self.idPattern = idPattern
        self.count = count
        self.template = template
        self.connectRate = connectRate
        self.groupKey = groupKey
        self.members = 0..<count
    }

    /// The id of member `index`.
    public func memberID(_ index: Int) -> DeviceID {
        idPattern.id(for: index)
    }

    /// The member indices of shard `index` of `count` (1-based): contiguous, disjoint ranges
    /// that together cover the fleet, as even as the count allows.
    public static func shardRange(fleetCount: Int, shard index: Int, of count: Int) -> Range<Int> {
        let lower = fleetCount * (index - 1) / count
        let upper = fleetCount * index / count
        return lower..<upper
    }

    /// The devices this run holds, each the template with its own id and key: a listed key,
    /// else one derived from the group key, else `nil` (the run makes one).
    public func memberSpecs() -> [DeviceSpec] {
        members.map { index in
            var spec = template
            spec.id = memberID(index)
            spec.key = listedKeys[spec.id] ?? groupKey.map { DeviceKey.derived(fromGroupKey: $0, registrationID: spec.id.string) }
            spec.fleet = name
            return spec
        }
    }

    /// The secrets of the fleet for reports to mask.
    public var secretValues: [String] {
        [groupKey?.base64].compactMap { $0 } + listedKeys.values.map(\.base64)
    }
}

/// A fleet's id pattern: text with one `${index}` (or `${index:N}`, zero-padded to N digits).
public struct FleetIDPattern: Sendable, Hashable, CustomStringConvertible {
    public var prefix: String
    public var suffix: String
    /// Digits the index is padded to with zeros; 0: none.
    public var width: Int

    /// Parses a pattern.
    /// - Throws: a message when the text has no `${index}` or more than one, or a bad width.
    public init(parsing text: String) throws(FleetPatternError) {
        guard let open = text.range(of: "${index") else {
            throw FleetPatternError(message: "the fleet id '\(text)' has no ${index}, so every device would get the same id; write for example 'sensor-${index}'")
        }
        guard let close = text[open.upperBound...].firstIndex(of: "}") else {
            throw FleetPatternError(message: "'${index' in the fleet id has no closing '}'")
        }
        let modifier = text[open.upperBound..<close]
        var width = 0
        if !modifier.isEmpty {
            guard modifier.hasPrefix(":"), let digits = Int(modifier.dropFirst()), (1...9).contains(digits) else {
                throw FleetPatternError(message: "'${index\(modifier)}' is not an index placeholder; write ${index} or ${index:N} with N from 1 to 9 (zero-padded to N digits)")
            }
            width = digits
        }
        let suffix = String(text[text.index(after: close)...])
        guard !suffix.contains("${index") else {
            throw FleetPatternError(message: "the fleet id '\(text)' has ${index} twice; give it once")
        }
        self.prefix = String(text[..<open.lowerBound])
        self.suffix = suffix
        self.width = width
    }

    /// The id for `index`.
    public func id(for index: Int) -> DeviceID {
        let number = String(index)
        let padded = number.count < width ? String(repeating: "0", count: width - number.count) + number : number
        // ``check(count:)`` checked the longest id; every other has the same characters.
        return DeviceID(checkedParts: prefix + padded + suffix)
    }

    /// The index of the member whose id is `id`, if the pattern makes it.
    public func index(of id: String) -> Int? {
        guard id.hasPrefix(prefix), id.hasSuffix(suffix), id.count > prefix.count + suffix.count else { return nil }
        let digits = id.dropFirst(prefix.count).dropLast(suffix.count)
        guard digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let index = Int(digits) else { return nil }
        // Only the spelling the pattern makes: no extra or missing zeros.
        return self.id(for: index).string == id ? index : nil
    }

    /// Checks that every id of a fleet of `count` devices is a valid device id (the longest
    /// one is, and the others differ only in fewer digits).
    public func check(count: Int) throws(FleetPatternError) {
        let longest = String(max(count - 1, 0))
        let digits = longest.count < width ? String(repeating: "0", count: width - longest.count) + longest : longest
        do {
            _ = try DeviceID(prefix + digits + suffix)
        } catch {
            throw FleetPatternError(message: "the fleet id pattern '\(description)' makes ids that are not valid device ids: \(error)")
        }
    }

    public var description: String { prefix + "${index" + (width > 0 ? ":\(width)" : "") + "}" + suffix }
}

/// What is wrong with a fleet id pattern.
public struct FleetPatternError: Error, Sendable, Hashable {
    public var message: String
}
