/// Why a string is not a valid MQTT topic name or topic filter (section 4.7).
public enum TopicValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Topics must be at least one character long [MQTT-4.7.3-1].
    case empty
    /// Topics must not encode to more than 65,535 bytes [MQTT-4.7.3-3].
    case tooLong(byteCount: Int)
    /// Topics must not contain U+0000 [MQTT-4.7.3-2].
    case nullCharacter
    /// Topic names must not contain `+` or `#` [MQTT-4.7.1-1] (in PUBLISH also [MQTT-3.3.2-2]).
    case wildcardInTopicName(String)
    /// `#` must be the last character and on its own level [MQTT-4.7.1-2].
    case misplacedMultiLevelWildcard(String)
    /// `+` must occupy a whole level [MQTT-4.7.1-3].
    case misplacedSingleLevelWildcard(String)

    /// The normative statement of MQTT 3.1.1 the topic violates, for example `MQTT-4.7.1-2`.
    public var statement: String {
        switch self {
        case .empty: "MQTT-4.7.3-1"
        case .tooLong: "MQTT-4.7.3-3"
        case .nullCharacter: "MQTT-4.7.3-2"
        case .wildcardInTopicName: "MQTT-4.7.1-1"
        case .misplacedMultiLevelWildcard: "MQTT-4.7.1-2"
        case .misplacedSingleLevelWildcard: "MQTT-4.7.1-3"
        }
    }

    /// The section of MQTT 3.1.1 that states the rule, for example `4.7.1.2`.
    public var section: String {
        switch self {
        case .empty, .tooLong, .nullCharacter: "4.7.3"
        case .wildcardInTopicName: "4.7.1"
        case .misplacedMultiLevelWildcard: "4.7.1.2"
        case .misplacedSingleLevelWildcard: "4.7.1.3"
        }
    }

    /// What is wrong, without the statement.
    public var reason: String {
        switch self {
        case .empty: "topic is empty"
        case .tooLong(let count): "topic is \(count) bytes long, more than 65535"
        case .nullCharacter: "topic contains U+0000"
        case .wildcardInTopicName(let topic): "topic name '\(topic)' contains a wildcard"
        case .misplacedMultiLevelWildcard(let filter): "'#' in '\(filter)' must be the last character, on a level of its own"
        case .misplacedSingleLevelWildcard(let filter): "'+' in '\(filter)' must fill a whole level"
        }
    }

    /// The reason followed by the statement, for example `topic is empty [MQTT-4.7.3-1]`.
    public var description: String { "\(reason) [\(statement)]" }
}
