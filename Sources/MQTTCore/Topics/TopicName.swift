/// A validated MQTT topic name, as used in PUBLISH: non-empty, no wildcards, no U+0000,
/// at most 65,535 UTF-8 bytes.
public struct TopicName: Sendable, Hashable, CustomStringConvertible {
    /// The topic text.
    public let string: String

    /// Validates `string` as a topic name.
    /// - Throws: ``TopicValidationError`` naming the violated statement.
    public init(_ string: String) throws(TopicValidationError) {
        try TopicName.validateCommon(string)
        if string.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }) {
            throw .wildcardInTopicName(string)
        }
        self.string = string
    }


    /// Whether the topic starts with `$` (a server topic that wildcards do not match at level one).
    public var isDollarTopic: Bool { string.utf8.first == UInt8(ascii: "$") }

    public var description: String { string }

    static func validateCommon(_ string: String) throws(TopicValidationError) {
        let count = string.utf8.count
        if count == 0 { throw .empty }
        if count > 65_535 { throw .tooLong(byteCount: count) }
        if string.utf8.contains(0) { throw .nullCharacter }
    }
}
