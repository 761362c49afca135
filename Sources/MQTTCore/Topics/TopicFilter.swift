/// A validated MQTT topic filter, as used in SUBSCRIBE and UNSUBSCRIBE: may contain `+` (one
/// whole level) and `#` (last level only).
public struct TopicFilter: Sendable, Hashable, CustomStringConvertible {
    /// The filter text.
    public let string: String

    /// Validates `string` as a topic filter.
    /// - Throws: ``TopicValidationError`` naming the violated statement.
    public init(_ string: String) throws(TopicValidationError) {
        try TopicName.validateCommon(string)
        let levels = string.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        for (index, level) in levels.enumerated() {
            if level.contains(UInt8(ascii: "#")) {
                guard level.count == 1, index == levels.count - 1 else { throw .misplacedMultiLevelWildcard(string) }
            }
            if level.contains(UInt8(ascii: "+")), level.count != 1 {
                throw .misplacedSingleLevelWildcard(string)
            }
        }
        self.string = string
    }


    /// Whether the filter contains `+` or `#`.
    public var hasWildcards: Bool {
        string.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") })
    }

    /// Whether `topic` matches this filter (section 4.7). Filters starting with a wildcard do
    /// not match topics starting with `$` [MQTT-4.7.2-1].
    public func matches(_ topic: TopicName) -> Bool {
        let slash = UInt8(ascii: "/")
        if topic.isDollarTopic, let first = string.utf8.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "#") {
            return false
        }
        var filterLevels = string.utf8.split(separator: slash, omittingEmptySubsequences: false)[...]
        var topicLevels = topic.string.utf8.split(separator: slash, omittingEmptySubsequences: false)[...]
        while let filterLevel = filterLevels.popFirst() {
            if filterLevel.count == 1, filterLevel.first == UInt8(ascii: "#") {
                return true
            }
            guard let topicLevel = topicLevels.popFirst() else { return false }
            if filterLevel.count == 1, filterLevel.first == UInt8(ascii: "+") { continue }
            if !filterLevel.elementsEqual(topicLevel) { return false }
        }
        return topicLevels.isEmpty
    }

    public var description: String { string }
}
