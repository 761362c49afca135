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

/// Edge cases of topic names and filters (section 4.7).
@Suite struct TopicEdgeCaseTests {
    @Test(
        "more valid filters",
        arguments: ["a/+/#", "+/#", "//", "a//b", "+//+", "/#", "$SYS/+/x", "caf\u{E9}/+", "\u{1F4A1}", " ", "a b/c"]
    )
    func validFilters(text: String) throws {
        #expect(try TopicFilter(text).string == text)
    }

    @Test(
        "more invalid filters",
        arguments: [
            ("#/", "MQTT-4.7.1-2"), ("##", "MQTT-4.7.1-2"), ("a/b#", "MQTT-4.7.1-2"), ("#a", "MQTT-4.7.1-2"),
            ("++", "MQTT-4.7.1-3"), ("+a", "MQTT-4.7.1-3"), ("a/+b/c", "MQTT-4.7.1-3"), ("+#", "MQTT-4.7.1-3"),
        ]
    )
    func invalidFilters(text: String, statement: String) {
        let error = #expect(throws: TopicValidationError.self) { try TopicFilter(text) }
        #expect(error?.statement == statement)
        #expect(error?.description.hasSuffix("[\(statement)]") == true)
    }

    @Test("topic names: any level may be empty, `$` and spaces allowed, no wildcard anywhere [MQTT-4.7.1-1]")
    func names() throws {
        for valid in ["/", "a/", "/a", "a//b", "$SYS", " ", "caf\u{E9}"] { #expect(try TopicName(valid).string == valid) }
        for invalid in ["+", "a/#", "a+b", "#/a"] {
            #expect(throws: TopicValidationError.wildcardInTopicName(invalid)) { try TopicName(invalid) }
        }
        #expect(TopicValidationError.wildcardInTopicName("+").statement == "MQTT-4.7.1-1")
        #expect(throws: TopicValidationError.nullCharacter) { try TopicName("a\u{0}") }
        #expect(try TopicName(String(repeating: "\u{E9}", count: 32_767)).string.utf8.count == 65_534)
        #expect(throws: TopicValidationError.tooLong(byteCount: 65_536)) { try TopicName(String(repeating: "\u{E9}", count: 32_768)) }
        #expect(throws: TopicValidationError.tooLong(byteCount: 65_536)) { try TopicFilter(String(repeating: "a", count: 65_536)) }
    }

    @Test("names and filters compare byte for byte, never normalized [MQTT-4.7.3-4]")
    func noNormalization() throws {
        let composed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        #expect(composed == decomposed, "Swift strings are canonically equal")
        #expect(try TopicName(composed) != TopicName(decomposed))
        #expect(try TopicFilter(composed) != TopicFilter(decomposed))
        #expect(try Set([TopicName(composed), TopicName(decomposed)]).count == 2)
        #expect(try TopicFilter(composed).matches(TopicName(decomposed)) == false)
        #expect(try TopicFilter("+").matches(TopicName(decomposed)))
        #expect(try TopicFilter("Case").matches(TopicName("case")) == false)
    }

    @Test(
        "more matching",
        arguments: [
            ("a/", "a/", true), ("a/", "a", false), ("a", "a/", false), ("a/+", "a/", true), ("a/#", "a/", true),
            ("+/+", "a/b", true), ("+/+", "a", false), ("+/+", "a/b/c", false), ("a//b", "a//b", true), ("a/+/b", "a//b", true),
            ("#", "/", true), ("+", "/", false), ("/", "/", true), ("+/#", "a", true), ("+/#", "a/b/c", true),
            ("a/+/+/d", "a/b/c/d", true), ("a/+/+/d", "a/b/c/e", false), ("$SYS/#", "$SYS", true), ("$SYS/+", "$SYS/x", true),
            ("+/x", "$SYS/x", false), ("#", "$", false), ("+", "$x", false), ("a/$/#", "a/$/b", true),
            ("caf\u{E9}/+", "caf\u{E9}/\u{1F4A1}", true), ("ab", "abc", false), ("abc", "ab", false),
        ]
    )
    func matching(filter: String, topic: String, matches: Bool) throws {
        #expect(try TopicFilter(filter).matches(TopicName(topic)) == matches)
    }

    @Test("a filter without wildcards matches exactly the equal topic name")
    func exactMatch() throws {
        for text in ["a", "a/b", "/", "a//", "$SYS/x"] {
            let filter = try TopicFilter(text)
            #expect(filter.hasWildcards == false)
            #expect(filter.matches(try TopicName(text)))
        }
        #expect(try TopicFilter("a/+").hasWildcards)
    }
}
