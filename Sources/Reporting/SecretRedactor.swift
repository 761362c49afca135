import Foundation

/// Replaces secrets with `***` in any text that leaves the harness: SAS signatures
/// (`sig=...`), connection-string keys (`SharedAccessKey=...`), and literal secret values
/// registered at run time (device keys, values marked secret).
public struct SecretRedactor: Sendable, Hashable {
    /// Literal values to mask wherever they appear, longest first.
    public private(set) var secrets: [String]
    /// The same values, to tell at once whether one is known (a hub registers thousands).
    private var known: Set<String> = []
    /// The values' UTF-8 bytes by their first four (every secret has at least four), so a
    /// text is searched once for all of them, not once per secret.
    private var byPrefix: [UInt32: [[UInt8]]] = [:]

    /// Field names whose values are always masked, up to the next `&`, `;`, quote, `<` or
    /// whitespace.
    static let maskedFields = ["sig=", "SharedAccessKey="]

    public init(secrets: [String] = []) {
        self.secrets = []
        for secret in secrets { register(secret) }
    }

    /// Adds a literal secret. Values shorter than 4 characters are ignored, since masking them
    /// would garble ordinary text.
    /// Its percent-encoded forms are masked too (upper- and lower-case hex), since a secret
    /// that goes into a topic's property bag or a URL is shown encoded.
    public mutating func register(_ secret: String) {
        guard secret.count >= 4, !known.contains(secret) else { return }
        for value in [secret] + Self.percentEncodings(of: secret) where known.insert(value).inserted {
            // Longest first, so a secret that contains another is masked whole; among equal
            // lengths, in the order registered. A binary search, not a sort per secret: the
            // hub registers a key for each of thousands of devices.
            let length = value.count
            var low = 0
            var high = secrets.count
            while low < high {
                let middle = (low + high) / 2
                if secrets[middle].count >= length { low = middle + 1 } else { high = middle }
            }
            secrets.insert(value, at: low)
            let bytes = Array(value.utf8)
            byPrefix[Self.prefix(bytes, at: 0), default: []].append(bytes)
        }
    }

    /// Four bytes from `index` as one number.
    private static func prefix(_ bytes: [UInt8], at index: Int) -> UInt32 {
        UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3])
    }

    /// The byte ranges of `bytes` that secrets cover, in order; overlapping occurrences make
    /// one range, so a secret that overlaps another is masked whole. One pass over the bytes,
    /// whatever the number of secrets.
    private func coveredRanges(_ bytes: [UInt8]) -> [Range<Int>] {
        guard !byPrefix.isEmpty, bytes.count >= 4 else { return [] }
        var ranges: [Range<Int>] = []
        for index in 0...(bytes.count - 4) {
            guard let candidates = byPrefix[Self.prefix(bytes, at: index)] else { continue }
            for candidate in candidates where index + candidate.count <= bytes.count {
                guard bytes[index..<(index + candidate.count)].elementsEqual(candidate) else { continue }
                let range = index..<(index + candidate.count)
                if let last = ranges.last, range.lowerBound < last.upperBound {
                    ranges[ranges.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
                } else {
                    ranges.append(range)
                }
            }
        }
        return ranges
    }

    /// `secret` with every byte outside RFC 3986's unreserved set as `%XX` (and `%xx`); none
    /// when nothing needs encoding.
    static func percentEncodings(of secret: String) -> [String] {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        guard secret.utf8.contains(where: { !unreserved.contains($0) }) else { return [] }
        func encode(_ digits: [Character]) -> String {
            var text = ""
            for byte in secret.utf8 {
                if unreserved.contains(byte) {
                    text.append(Character(Unicode.Scalar(byte)))
                } else {
                    text += "%" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0xF)])
                }
            }
            return text
        }
        return [encode(Array("0123456789ABCDEF")), encode(Array("0123456789abcdef"))]
    }

    /// The text with every secret masked.
    public func redact(_ text: String) -> String {
        var result = text
        let bytes = Array(text.utf8)
        let ranges = coveredRanges(bytes)
        if !ranges.isEmpty {
            // UTF-8 is self-synchronising: a secret's bytes start and end on characters.
            var masked: [UInt8] = []
            masked.reserveCapacity(bytes.count)
            var position = 0
            for range in ranges {
                masked += bytes[position..<range.lowerBound]
                masked += Array("***".utf8)
                position = range.upperBound
            }
            masked += bytes[position...]
            result = String(decoding: masked, as: UTF8.self)
        }
        for field in Self.maskedFields where result.contains(field) {
            result = Self.maskValues(after: field, in: result)
        }
        return result
    }

    /// The bytes with every secret, and every `sig=` value, overwritten by `*` of the same
    /// length, so framed data (MQTT packets in a pcap) keeps its lengths.
    public func redact(bytes: [UInt8]) -> [UInt8] {
        var result = bytes
        for range in coveredRanges(bytes) {
            for position in range { result[position] = UInt8(ascii: "*") }
        }
        for needle in Self.maskedFields.map({ Array($0.utf8) }) {
            let isField = needle.last == UInt8(ascii: "=")
            var index = 0
            while index + needle.count <= result.count {
                guard result[index..<(index + needle.count)].elementsEqual(needle) else {
                    index += 1
                    continue
                }
                var end = index + needle.count
                var start = index
                if isField {
                    start = end
                    while end < result.count, !"&;\"'<> \t\r\n".utf8.contains(result[end]) { end += 1 }
                }
                for position in start..<end { result[position] = UInt8(ascii: "*") }
                index = max(end, index + 1)
            }
        }
        return result
    }

    private static func maskValues(after field: String, in text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let range = rest.range(of: field) {
            result += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            let end = rest.firstIndex(where: { "&;\"'<> \t\r\n".contains($0) }) ?? rest.endIndex
            if end != rest.startIndex, rest[..<end] != "***" {
                result += "***"
            } else {
                result += rest[..<end]
            }
            rest = rest[end...]
        }
        return result + rest
    }
}
