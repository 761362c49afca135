import Foundation
import MQTTCore

/// Parses and prints the durations scenario files use: a number and a unit, for example
/// `500ms`, `1.5s`, `2m`, `1h`, `2d`, `250us`.
public enum ScenarioDuration {
    static let units: [(suffix: String, nanoseconds: Double)] = [
        ("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9), ("d", 86_400e9),
    ]

    /// The duration `text` denotes, or a message saying why it is not one.
    public static func parse(_ text: String) -> Result<Duration, DurationError> {
        let trimmed = text.trimmingCharacters(in: [" "])
        let numberEnd = trimmed.firstIndex(where: { !($0.isNumber || $0 == ".") }) ?? trimmed.endIndex
        let numberText = trimmed[..<numberEnd]
        let unitText = trimmed[numberEnd...].trimmingCharacters(in: [" "])
        guard !numberText.isEmpty, let value = Double(numberText), value.isFinite, value >= 0 else {
            return .failure(DurationError(text: text, reason: "it does not start with a number"))
        }
        guard !unitText.isEmpty else {
            return .failure(DurationError(text: text, reason: "it has no unit; write for example '\(numberText)ms' or '\(numberText)s'"))
        }
        guard let unit = units.first(where: { $0.suffix == unitText }) else {
            return .failure(DurationError(text: text, reason: "unit '\(unitText)' is not one of ns, us, ms, s, m, h, d"))
        }
        let nanoseconds = value * unit.nanoseconds
        guard nanoseconds < 9.2e18 else { return .failure(DurationError(text: text, reason: "it is too long")) }
        return .success(.nanoseconds(Int64(nanoseconds.rounded())))
    }

    /// A short rendering: `500ms`, `1s`, `1.5s`, `2m`, `250us`.
    public static func format(_ duration: Duration) -> String {
        let nanoseconds = duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        for (suffix, size) in [("d", 86_400e9), ("h", 3600e9), ("m", 60e9), ("s", 1e9), ("ms", 1e6), ("us", 1e3)]
        where Double(nanoseconds) >= size {
            let value = Double(nanoseconds) / size
            if value == value.rounded() { return "\(Int64(value))\(suffix)" }
            if suffix == "ms" || suffix == "s" || suffix == "us" { return "\(formatDecimal(value))\(suffix)" }
        }
        return "\(nanoseconds)ns"
    }

    private static func formatDecimal(_ value: Double) -> String {
        var text = String(format: "%.3f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// A latency for messages: `0.412ms`, `12.3ms`, `1502ms`.
    public static func formatMilliseconds(_ duration: Duration) -> String {
        let milliseconds = Double(duration.nanoseconds) / 1e6
        if milliseconds < 10 { return "\(String(format: "%.3f", milliseconds))ms" }
        if milliseconds < 100 { return "\(String(format: "%.2f", milliseconds))ms" }
        return "\(String(format: "%.1f", milliseconds))ms"
    }
}

/// Why a text is not a duration.
public struct DurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var text: String
    public var reason: String

    public var description: String { "'\(text)' is not a duration: \(reason)" }
}
