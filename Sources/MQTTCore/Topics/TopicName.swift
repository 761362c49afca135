/// A validated MQTT topic name, as used in PUBLISH and as a will topic: non-empty, no
/// wildcards, no U+0000, at most 65,535 UTF-8 bytes (section 4.7).
///
/// Two names are equal when their UTF-8 bytes are: the standard forbids any normalization
/// [MQTT-4.7.3-4], so `é` written precomposed and decomposed are different topics (unlike Swift
/// `String` equality).
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

    /// The empty topic name, which only an MQTT 5.0 PUBLISH may carry: it stands for the name
    /// its Topic Alias maps to (MQTT 5.0 section 3.3.2.3.4). The encoders refuse it anywhere
    /// else (in MQTT 3.1.1, and in a PUBLISH without a Topic Alias).
    public static let empty = TopicName(validated: "")

    /// A name the decoder has already checked in its single pass over the bytes.
    init(validated string: String) {
        self.string = string
    }

    /// Whether the topic starts with `$` (a server topic that wildcards do not match at level one).
    public var isDollarTopic: Bool { string.utf8.first == UInt8(ascii: "$") }

    public var description: String { string }

    public static func == (lhs: TopicName, rhs: TopicName) -> Bool {
        lhs.string.utf8.elementsEqual(rhs.string.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        TopicName.hashBytes(of: string, into: &hasher)
    }

    static func validateCommon(_ string: String) throws(TopicValidationError) {
        let count = string.utf8.count
        if count == 0 { throw .empty }
        if count > 65_535 { throw .tooLong(byteCount: count) }
        if string.containsNullByte { throw .nullCharacter }
    }

    /// Hashes the UTF-8 bytes of `string`, so hashing agrees with byte-wise equality.
    static func hashBytes(of string: String, into hasher: inout Hasher) {
        let utf8 = string.utf8
        hasher.combine(utf8.count)
        let hashed: Void? = utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if hashed == nil {
            for byte in utf8 { hasher.combine(byte) }
        }
    }
}
