/// A validated MQTT topic filter, as used in SUBSCRIBE and UNSUBSCRIBE: may contain `+` (one
/// whole level) and `#` (last level only).
///
/// Two filters are equal when their UTF-8 bytes are: UNSUBSCRIBE compares filters byte for
/// byte [MQTT-3.10.4-1] and nothing is normalized [MQTT-4.7.3-4].
public struct TopicFilter: Sendable, Hashable, CustomStringConvertible {
    /// The filter text.
    public let string: String

    /// Validates `string` as a topic filter.
    /// - Throws: ``TopicValidationError`` naming the violated statement.
    public init(_ string: String) throws(TopicValidationError) {
        try TopicName.validateCommon(string)
        var levelStart = true
        var previous: UInt8 = 0
        for byte in string.utf8 {
            if previous == UInt8(ascii: "#") { throw .misplacedMultiLevelWildcard(string) }
            if previous == UInt8(ascii: "+"), byte != UInt8(ascii: "/") { throw .misplacedSingleLevelWildcard(string) }
            switch byte {
            case UInt8(ascii: "#"):
                guard levelStart else { throw .misplacedMultiLevelWildcard(string) }
            case UInt8(ascii: "+"):
                guard levelStart else { throw .misplacedSingleLevelWildcard(string) }
            default:
                break
            }
            levelStart = byte == UInt8(ascii: "/")
            previous = byte
        }
        self.string = string
    }

    /// Whether the filter contains `+` or `#`.
    public var hasWildcards: Bool {
        string.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") })
    }

    /// Whether `topic` matches this filter (section 4.7), comparing levels byte for byte
    /// [MQTT-4.7.3-4]. `#` also matches the parent level (`a/#` matches `a`); `+` matches one
    /// level, empty ones included. Filters starting with a wildcard do not match topics
    /// starting with `$` [MQTT-4.7.2-1].
    public func matches(_ topic: TopicName) -> Bool {
        var filterBytes = string
        var topicBytes = topic.string
        return filterBytes.withUTF8 { filter in
            topicBytes.withUTF8 { topic in TopicFilter.matches(filter: filter, topic: topic) }
        }
    }

    public var description: String { string }

    public static func == (lhs: TopicFilter, rhs: TopicFilter) -> Bool {
        lhs.string.utf8.elementsEqual(rhs.string.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        TopicName.hashBytes(of: string, into: &hasher)
    }

    private static func matches(filter: UnsafeBufferPointer<UInt8>, topic: UnsafeBufferPointer<UInt8>) -> Bool {
        let slash = UInt8(ascii: "/")
        if topic.first == UInt8(ascii: "$"), let first = filter.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "#") {
            return false
        }
        // Start of the next level of each; past `count` once the last level is used (a
        // trailing `/` starts one more, empty, level).
        var filterIndex = 0
        var topicIndex = 0
        while filterIndex <= filter.count {
            let filterEnd = filter[filterIndex...].firstIndex(of: slash) ?? filter.count
            let isSingleChar = filterEnd - filterIndex == 1
            if isSingleChar, filter[filterIndex] == UInt8(ascii: "#") { return true }
            guard topicIndex <= topic.count else { return false }
            let topicEnd = topic[topicIndex...].firstIndex(of: slash) ?? topic.count
            if !(isSingleChar && filter[filterIndex] == UInt8(ascii: "+")) {
                guard filter[filterIndex..<filterEnd].elementsEqual(topic[topicIndex..<topicEnd]) else { return false }
            }
            filterIndex = filterEnd + 1
            topicIndex = topicEnd + 1
        }
        return topicIndex > topic.count
    }
}
