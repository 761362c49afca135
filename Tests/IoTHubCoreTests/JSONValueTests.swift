import IoTHubCore
import Testing

/// The one JSON value: exact enough for twins (integers stay integers, objects keep their
/// keys), readable enough for the scenario schema.
@Suite struct JSONValueTests {
    @Test("integers stay integers, other numbers stay numbers; text round trips with sorted keys")
    func exactness() throws {
        #expect(try JSONValue(parsing: Array("[1, 2.5, true, null, -7]".utf8)) == .array([.integer(1), .number(2.5), .bool(true), .null, .integer(-7)]))
        let object = try JSONValue(parsing: Array(#"{"b":{"$version":3},"a":"x","c":[]}"#.utf8))
        #expect(object == .object(["a": .string("x"), "b": .object(["$version": .integer(3)]), "c": .array([])]))
        #expect(object.jsonText == #"{"a":"x","b":{"$version":3},"c":[]}"#)
        #expect(try JSONValue(parsing: Array(object.jsonText.utf8)) == object)
        #expect(throws: (any Error).self) { try JSONValue(parsing: Array("{not json".utf8)) }
    }

    @Test("JSON merge patch follows RFC 7386")
    func mergePatch() throws {
        let original = try JSONValue(parsing: Array(#"{"a":"b","c":{"d":"e","f":"g"}}"#.utf8))
        let patch = try JSONValue(parsing: Array(#"{"a":"z","c":{"f":null}}"#.utf8))
        #expect(original.merging(patch).jsonText == #"{"a":"z","c":{"d":"e"}}"#)
        #expect(original.merging(.integer(1)) == .integer(1))
    }

    @Test("reads as the schema validator makes them: members, elements, text, numbers of either kind, booleans")
    func reads() throws {
        let schema = try JSONValue(parsing: Array(#"{"type":["string","null"],"minimum":1,"maximum":2.5,"additionalProperties":false}"#.utf8))
        #expect(schema["type"]?.arrayValue?.compactMap(\.stringValue) == ["string", "null"])
        #expect(schema["minimum"]?.numberValue == 1)
        #expect(schema["maximum"]?.numberValue == 2.5)
        #expect(schema["additionalProperties"]?.boolValue == false)
        #expect(schema["missing"] == nil)
        #expect(schema["type"]?["x"] == nil)
        #expect(schema.objectValue?.count == 4)
        #expect(JSONValue.string("1").numberValue == nil)
        #expect(JSONValue.integer(1).stringValue == nil && JSONValue.null.boolValue == nil && JSONValue.bool(true).arrayValue == nil)
    }

    @Test("pretty text: two spaces a level, keys sorted, escapes only what JSON must, and parses back to the same value")
    func prettyText() throws {
        let value = JSONValue.object([
            "b": .array([.integer(1), .bool(false), .null, .number(2.5)]),
            "a": .string("µs \"q\" \\ /\n\t\u{1}"),
            "c": .object([:]),
            "d": .array([]),
        ])
        #expect(value.prettyText == """
            {
              "a": "µs \\"q\\" \\\\ /\\n\\t\\u0001",
              "b": [
                1,
                false,
                null,
                2.5
              ],
              "c": {},
              "d": []
            }
            """)
        #expect(try JSONValue(parsing: Array(value.prettyText.utf8)) == value)
    }
}
