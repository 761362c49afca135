import Foundation

/// Replaces secrets with `***` in any text that leaves the harness: SAS signatures
/// (`sig=...`), connection-string keys (`SharedAccessKey=...`), and literal secret values
/// registered at run time (device keys, values marked secret).
public struct SecretRedactor: Sendable, Hashable {
    /// Literal values to mask wherever they appear.
    public private(set) var secrets: [String]

    /// Field names whose values are always masked, up to the next `&`, `;`, quote, `<` or
    /// whitespace.
    static let maskedFields = ["sig=", "SharedAccessKey="]

    public init(secrets: [String] = []) {
        self.secrets = []
        for secret in secrets { register(secret) }
    }

    /// Adds a literal secret. Values shorter than 4 characters are ignored, since masking them
    /// would garble ordinary text.
    public mutating func register(_ secret: String) {
        guard secret.count >= 4, !secrets.contains(secret) else { return }
        secrets.append(secret)
        // Longest first, so a secret that contains another is masked whole.
        secrets.sort { $0.count > $1.count }
    }

    /// The text with every secret masked.
    public func redact(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacingAll(secret, with: "***")
        }
        for field in Self.maskedFields where result.contains(field) {
            result = Self.maskValues(after: field, in: result)
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

extension String {
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
