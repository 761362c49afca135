/// A mergeable latency histogram with bounded relative error: log-linear buckets over
/// nanoseconds, exact below 128 ns and within 1/64 (1.6 %) of the true value above.
///
/// Buckets are counted, never averaged: merging two histograms adds their counts, so a
/// percentile of the merge is the percentile of all samples together (to the bucket's
/// precision), whatever the shards were. The minimum, maximum, count and sum stay exact.
public struct LatencyHistogram: Sendable, Hashable, Codable {
    /// Bits of each bucket's mantissa: 2^7 = 128 exact values, then 64 buckets per power of two.
    public static let precisionBits = 7

    /// Samples recorded.
    public private(set) var count: UInt64 = 0
    /// The smallest and largest sample, nanoseconds (0 when empty).
    public private(set) var minimum: UInt64 = 0
    public private(set) var maximum: UInt64 = 0
    /// The sum of all samples, nanoseconds (saturating).
    public private(set) var sum: UInt64 = 0
    /// Count per bucket index.
    public private(set) var buckets: [Int: UInt64] = [:]

    public init() {}

    /// A histogram of `samples`.
    public init(nanoseconds samples: some Sequence<UInt64>) {
        for sample in samples { record(nanoseconds: sample) }
    }

    /// A histogram of `durations` (negative durations count as 0).
    public init(durations: some Sequence<Duration>) {
        self.init(nanoseconds: durations.map(Self.nanoseconds))
    }

    public var isEmpty: Bool { count == 0 }

    /// Records one sample.
    public mutating func record(nanoseconds value: UInt64, count times: UInt64 = 1) {
        guard times > 0 else { return }
        if count == 0 {
            minimum = value
            maximum = value
        } else {
            minimum = Swift.min(minimum, value)
            maximum = Swift.max(maximum, value)
        }
        count += times
        let (product, productOverflow) = value.multipliedReportingOverflow(by: times)
        let (total, sumOverflow) = sum.addingReportingOverflow(product)
        sum = productOverflow || sumOverflow ? .max : total
        buckets[Self.bucketIndex(of: value), default: 0] += times
    }

    /// Adds every sample of `other`.
    public mutating func merge(_ other: LatencyHistogram) {
        guard other.count > 0 else { return }
        if count == 0 {
            self = other
            return
        }
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
        count += other.count
        let (total, overflow) = sum.addingReportingOverflow(other.sum)
        sum = overflow ? .max : total
        for (index, value) in other.buckets { buckets[index, default: 0] += value }
    }

    /// The mean, nanoseconds; `nil` when empty.
    public var mean: UInt64? { count == 0 ? nil : sum / count }

    /// The value at `percentile` (0...100) by nearest rank, nanoseconds: the highest value of the
    /// bucket holding that rank, kept within the exact minimum and maximum. `nil` when empty.
    public func value(atPercentile percentile: Double) -> UInt64? {
        guard count > 0 else { return nil }
        let fraction = Swift.min(100, Swift.max(0, percentile)) / 100
        let rank = Swift.max(1, UInt64((fraction * Double(count)).rounded(.up)))
        var seen: UInt64 = 0
        for index in buckets.keys.sorted() {
            seen += buckets[index] ?? 0
            if seen >= rank {
                return Swift.min(maximum, Swift.max(minimum, Self.highestValue(inBucket: index)))
            }
        }
        return maximum
    }

    /// The buckets in ascending order: each bucket's lowest and highest value and its count.
    public var sortedBuckets: [(lowest: UInt64, highest: UInt64, count: UInt64)] {
        buckets.keys.sorted().map { (Self.lowestValue(inBucket: $0), Self.highestValue(inBucket: $0), buckets[$0] ?? 0) }
    }

    // MARK: Bucket arithmetic

    private static let exactLimit = UInt64(1) << precisionBits
    private static let half = 1 << (precisionBits - 1)

    /// The bucket a value falls in.
    static func bucketIndex(of value: UInt64) -> Int {
        guard value >= exactLimit else { return Int(value) }
        let shift = (63 - value.leadingZeroBitCount) - (precisionBits - 1)
        let mantissa = Int(value >> UInt64(shift))
        return Int(exactLimit) + (shift - 1) * half + (mantissa - half)
    }

    /// The lowest value of a bucket.
    static func lowestValue(inBucket index: Int) -> UInt64 {
        guard index >= Int(exactLimit) else { return UInt64(Swift.max(0, index)) }
        let offset = index - Int(exactLimit)
        let shift = offset / half + 1
        let mantissa = UInt64(offset % half + half)
        guard shift < 64 - precisionBits + 1 else { return .max }
        return mantissa << UInt64(shift)
    }

    /// The highest value of a bucket.
    static func highestValue(inBucket index: Int) -> UInt64 {
        guard index >= Int(exactLimit) else { return UInt64(Swift.max(0, index)) }
        let shift = (index - Int(exactLimit)) / half + 1
        let (value, overflow) = lowestValue(inBucket: index).addingReportingOverflow((UInt64(1) << UInt64(shift)) - 1)
        return overflow ? .max : value
    }

    /// Whether `index` can name a bucket (values up to `UInt64.max`).
    static func isValidBucket(_ index: Int) -> Bool {
        index >= 0 && index <= bucketIndex(of: .max)
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : whole &+ UInt64(attoseconds / 1_000_000_000)
    }

    // MARK: Codable: buckets as ascending [index, count] pairs, so files diff and merge cleanly.

    enum CodingKeys: String, CodingKey {
        case count, minimum = "min_ns", maximum = "max_ns", sum = "sum_ns", buckets
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let pairs = try container.decode([[UInt64]].self, forKey: .buckets)
        var total: UInt64 = 0
        for pair in pairs {
            guard pair.count == 2, pair[0] <= UInt64(Int.max), Self.isValidBucket(Int(pair[0])), pair[1] > 0 else {
                throw DecodingError.dataCorruptedError(forKey: .buckets, in: container, debugDescription: "a bucket is not a pair of a valid index and a positive count")
            }
            buckets[Int(pair[0]), default: 0] += pair[1]
            total = total.addingReportingOverflow(pair[1]).overflow ? .max : total + pair[1]
        }
        count = try container.decode(UInt64.self, forKey: .count)
        minimum = try container.decode(UInt64.self, forKey: .minimum)
        maximum = try container.decode(UInt64.self, forKey: .maximum)
        sum = try container.decode(UInt64.self, forKey: .sum)
        guard total == count, minimum <= maximum,
            count == 0 || (Self.bucketIndex(of: minimum) == buckets.keys.min() && Self.bucketIndex(of: maximum) == buckets.keys.max())
        else {
            throw DecodingError.dataCorruptedError(forKey: .count, in: container, debugDescription: "the count, minimum and maximum do not match the buckets")
        }
        // The mean lies between the minimum and the maximum.
        guard count == 0 || (sum / count >= minimum && sum / count <= maximum) else {
            throw DecodingError.dataCorruptedError(forKey: .sum, in: container, debugDescription: "the sum does not match the count, minimum and maximum")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(count, forKey: .count)
        try container.encode(minimum, forKey: .minimum)
        try container.encode(maximum, forKey: .maximum)
        try container.encode(sum, forKey: .sum)
        try container.encode(buckets.keys.sorted().map { [UInt64($0), buckets[$0] ?? 0] }, forKey: .buckets)
    }
}
