import Reporting
import Testing

@Suite struct ControlCharacterEscapingTests {
    @Test(
        "control characters are shown as escapes; everything else is kept",
        arguments: [
            ("plain text", "plain text"),
            ("a\nb", "a\\nb"),
            ("a\r\nb", "a\\r\\nb"),
            ("tab\there", "tab\\there"),
            ("\u{1b}[31mred\u{1b}[0m", "\\u{1b}[31mred\\u{1b}[0m"),
            ("nul\u{0}del\u{7f}", "nul\\u{0}del\\u{7f}"),
            ("c1\u{85}\u{9b}", "c1\\u{85}\\u{9b}"),
            ("line\u{2028}para\u{2029}", "line\\u{2028}para\\u{2029}"),
            ("bidi \u{202e}txt.exe", "bidi \\u{202e}txt.exe"),
            ("caf\u{e9} \u{1f4a1} \u{6e29}", "caf\u{e9} \u{1f4a1} \u{6e29}"),
            ("family \u{1f468}\u{200d}\u{1f469}", "family \u{1f468}\u{200d}\u{1f469}"),
            ("back\\slash", "back\\slash"),
        ] as [(String, String)]
    )
    func escapes(input: String, expected: String) {
        #expect(ControlCharacterEscaping.escape(input) == expected)
        #expect(ControlCharacterEscaping.needsEscaping(input) == (input != expected))
    }

    @Test("an escaped text holds no control character and no line break of any kind")
    func nothingLeft() {
        let all = String(String.UnicodeScalarView((0...0x30FF).compactMap(Unicode.Scalar.init)))
        let escaped = ControlCharacterEscaping.escape(all)
        #expect(escaped.unicodeScalars.allSatisfy { $0.properties.generalCategory != .control })
        #expect(escaped.split(whereSeparator: \.isNewline).count == 1)
    }
}
