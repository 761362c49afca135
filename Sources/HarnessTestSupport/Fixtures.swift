import MQTTCore

/// A topic name a test knows to be valid; an invalid one stops the test run.
public func topicName(_ text: String) -> TopicName {
    do { return try TopicName(text) } catch { preconditionFailure("invalid test topic '\(text)': \(error)") }
}

/// A topic filter a test knows to be valid; an invalid one stops the test run.
public func topicFilter(_ text: String) -> TopicFilter {
    do { return try TopicFilter(text) } catch { preconditionFailure("invalid test filter '\(text)': \(error)") }
}
