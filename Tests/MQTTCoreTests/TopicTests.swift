import MQTTCore
import Testing

@Suite struct TopicTests {
    @Test("valid filters", arguments: ["#", "+", "a/#", "a/+/b", "+/+", "/", "devices/esp8266/messages/devicebound/#", "$SYS/#"])
    func validFilters(text: String) throws {
        #expect(try TopicFilter(text).string == text)
    }

    @Test("invalid filters", arguments: [("", "MQTT-4.7.3-1"), ("a/#/b", "MQTT-4.7.1-2"), ("a#", "MQTT-4.7.1-2"), ("a+/b", "MQTT-4.7.1-3"), ("a/b+", "MQTT-4.7.1-3"), ("a\u{0}b", "MQTT-4.7.3-2")])
    func invalidFilters(text: String, statement: String) {
        let error = #expect(throws: TopicValidationError.self) { try TopicFilter(text) }
        #expect(error?.statement == statement)
    }

    @Test("topic names refuse wildcards")
    func topicNames() throws {
        #expect(throws: TopicValidationError.wildcardInTopicName("a/+")) { try TopicName("a/+") }
        #expect(throws: TopicValidationError.wildcardInTopicName("#")) { try TopicName("#") }
        #expect(throws: TopicValidationError.empty) { try TopicName("") }
        #expect(throws: TopicValidationError.tooLong(byteCount: 65_536)) { try TopicName(String(repeating: "a", count: 65_536)) }
        #expect(try TopicName("a/b").isDollarTopic == false)
        #expect(try TopicName("$SYS/x").isDollarTopic)
    }

    @Test(
        "matching",
        arguments: [
            ("sport/tennis/player1/#", "sport/tennis/player1", true),
            ("sport/tennis/player1/#", "sport/tennis/player1/ranking", true),
            ("sport/#", "sport", true),
            ("#", "a/b/c", true),
            ("sport/+", "sport/", true),
            ("sport/+", "sport", false),
            ("+/+", "/finance", true),
            ("/+", "/finance", true),
            ("+", "/finance", false),
            ("a/b", "a/b", true),
            ("a/b", "a/c", false),
            ("devices/esp8266/messages/devicebound/#", "devices/esp8266/messages/devicebound/%24.mid=1", true),
            ("devices/esp8266/messages/devicebound/#", "devices/other/messages/devicebound/x", false),
        ]
    )
    func matching(filter: String, topic: String, matches: Bool) throws {
        #expect(try TopicFilter(filter).matches(TopicName(topic)) == matches)
    }

    @Test("wildcards at the first level do not match $ topics [MQTT-4.7.2-1]")
    func dollarTopics() throws {
        #expect(try TopicFilter("#").matches(TopicName("$SYS/uptime")) == false)
        #expect(try TopicFilter("+/monitor/Clients").matches(TopicName("$SYS/monitor/Clients")) == false)
        #expect(try TopicFilter("$SYS/#").matches(TopicName("$SYS/monitor/Clients")))
        #expect(try TopicFilter("$SYS/monitor/+").matches(TopicName("$SYS/monitor/Clients")))
    }
}
