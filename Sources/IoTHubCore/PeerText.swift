/// Text from a peer made safe to show: control characters and non-ASCII escaped, cut at a
/// length.
public enum PeerText {
    /// `text` with control characters and non-ASCII shown as `\u{hex}`, cut after `limit`
    /// characters (`...` marks the cut).
    public static func escaped(_ text: String, limit: Int = 128) -> String {
        var result = ""
        for scalar in text.unicodeScalars.prefix(limit) {
            if scalar.value >= 0x20 && scalar.value < 0x7F { result.unicodeScalars.append(scalar) } else { result += "\\u{\(String(scalar.value, radix: 16))}" }
        }
        if text.unicodeScalars.count > limit { result += "..." }
        return result
    }
}
