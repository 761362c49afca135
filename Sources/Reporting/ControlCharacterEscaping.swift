/// Shows control characters in text that came from a peer (client ids, user names, topics,
/// firmware output, HTTP paths) as escapes, so that the text cannot start a new line, move the
/// cursor, recolour a terminal or reorder what is shown around it.
///
/// Escaped: C0 and C1 control characters and DEL (`\n`, `\r`, `\t`, otherwise `\u{1b}`),
/// the Unicode line and paragraph separators, and the bidirectional formatting characters
/// (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to U+2069). Everything else, other
/// languages and emoji included, is kept. A backslash is kept as it is: the escapes only need
/// to be harmless, not reversible.
public enum ControlCharacterEscaping {
    /// `text` with every control character shown as an escape. Text without any is returned
    /// as it is, without a copy.
    public static func escape(_ text: String) -> String {
        guard needsEscaping(text) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            guard isEscaped(scalar) else {
                result.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default: result += "\\u{\(String(scalar.value, radix: 16))}"
            }
        }
        return result
    }

    /// Whether `text` holds anything ``escape(_:)`` would change.
    public static func needsEscaping(_ text: String) -> Bool {
        // The common case, printable ASCII, is decided on the bytes alone.
        var sawNonASCII = false
        for byte in text.utf8 {
            if byte < 0x20 || byte == 0x7F { return true }
            if byte >= 0x80 { sawNonASCII = true }
        }
        return sawNonASCII && text.unicodeScalars.contains(where: isEscaped)
    }

    static func isEscaped(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x2028, 0x2029: true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
