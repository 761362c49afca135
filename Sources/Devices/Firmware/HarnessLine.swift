/// One line of the harness line protocol: what firmware (or the prelude and shims around it)
/// prints so the harness sees the device's state. Every line starts with `@harness ` and ends
/// at the line break; other lines are ordinary output.
///
/// | line | meaning |
/// | --- | --- |
/// | `@harness pin <gpio> <0\|1>` | the program wrote an output pin |
/// | `@harness led <on\|off>` | the status LED was switched |
/// | `@harness state <word>` | the program reports a state, for example `connected` |
/// | `@harness net connect` | the program opens its MQTT network connection |
/// | `@harness net connected` | the connection is up (TCP, and TLS where used) |
/// | `@harness net closed [reason]` | the connection closed (by the program or the peer) |
/// | `@harness mqtt tx <hex>` | bytes the program wrote to its MQTT connection (above TLS) |
/// | `@harness mqtt rx <hex>` | bytes the program read from it |
public enum HarnessLine: Sendable, Hashable {
    case pin(Int, isHigh: Bool)
    case led(isOn: Bool)
    case state(String)
    case netConnect
    case netConnected
    case netClosed(reason: String?)
    /// Raw MQTT bytes; `isOutbound` for bytes the program sent.
    case mqtt(isOutbound: Bool, bytes: [UInt8])
    /// A line that starts with `@harness ` but is not a valid protocol line.
    case malformed(reason: String)

    /// The prefix every protocol line starts with.
    public static let prefix = "@harness "

    /// Parses `line` (without its line break; a trailing `\r` is ignored).
    /// - Returns: `nil` for ordinary output, else the protocol line (``malformed(reason:)``
    ///   when it is not valid).
    public static func parse(_ line: some StringProtocol) -> HarnessLine? {
        var text = Substring(line)
        while text.last == "\r" || text.last == "\n" { text.removeLast() }
        guard text.hasPrefix(prefix) else { return nil }
        let words = text.dropFirst(prefix.count).split(separator: " ", omittingEmptySubsequences: true)
        guard let verb = words.first else { return .malformed(reason: "nothing after '@harness'") }
        let arguments = Array(words.dropFirst())
        switch verb {
        case "pin":
            guard arguments.count == 2, let pin = Int(arguments[0]), pin >= 0 else {
                return .malformed(reason: "expected '@harness pin <gpio number> <0|1>'")
            }
            switch arguments[1] {
            case "0": return .pin(pin, isHigh: false)
            case "1": return .pin(pin, isHigh: true)
            default: return .malformed(reason: "pin value '\(arguments[1].prefix(20))' is not 0 or 1")
            }
        case "led":
            guard arguments.count == 1, arguments[0] == "on" || arguments[0] == "off" else {
                return .malformed(reason: "expected '@harness led <on|off>'")
            }
            return .led(isOn: arguments[0] == "on")
        case "state":
            guard arguments.count == 1 else { return .malformed(reason: "expected '@harness state <word>'") }
            return .state(String(arguments[0]))
        case "net":
            switch arguments.first {
            case "connect" where arguments.count == 1: return .netConnect
            case "connected" where arguments.count == 1: return .netConnected
            case "closed":
                let reason = arguments.dropFirst().joined(separator: " ")
                return .netClosed(reason: reason.isEmpty ? nil : reason)
            default: return .malformed(reason: "expected '@harness net connect|connected|closed [reason]'")
            }
        case "mqtt":
            guard arguments.count == 2, arguments[0] == "tx" || arguments[0] == "rx" else {
                return .malformed(reason: "expected '@harness mqtt <tx|rx> <hex>'")
            }
            guard let bytes = decodeHex(arguments[1]) else {
                return .malformed(reason: "'@harness mqtt' needs an even number of hex digits")
            }
            return .mqtt(isOutbound: arguments[0] == "tx", bytes: bytes)
        default:
            return .malformed(reason: "unknown word '\(verb.prefix(20))'; known: pin, led, state, net, mqtt")
        }
    }

    static func decodeHex(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard !digits.isEmpty, digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
