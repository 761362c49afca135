/// Bytes written as hexadecimal text in a scenario: `"10 0c 00 04 4d 51 54 54"`, with any
/// whitespace between (or without) pairs.
public struct HexBytes: Sendable, Hashable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Why hex text could not be read, and at which character (0-based) of the text.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var offset: Int
        public var message: String

        public var description: String { message }
    }

    /// Reads hex text: pairs of hex digits, whitespace allowed anywhere between pairs.
    /// - Throws: ``ParseError`` naming the first bad character, a digit without its pair, or
    ///   empty text.
    public init(parsing text: String) throws(ParseError) {
        var bytes: [UInt8] = []
        var high: UInt8?
        var highOffset = 0
        for (offset, character) in text.enumerated() {
            if character.isWhitespace {
                if high != nil { throw ParseError(offset: highOffset, message: "hex digit '\(text[text.index(text.startIndex, offsetBy: highOffset)])' has no second digit; write bytes as pairs such as 0c") }
                continue
            }
            guard let value = character.hexDigitValue, character.isASCII else {
                throw ParseError(offset: offset, message: "'\(character)' is not a hex digit; write bytes as pairs of 0-9 a-f, for example \"10 0c 00 04\"")
            }
            if let first = high {
                bytes.append(first << 4 | UInt8(value))
                high = nil
            } else {
                high = UInt8(value)
                highOffset = offset
            }
        }
        if high != nil { throw ParseError(offset: highOffset, message: "hex digit has no second digit; write bytes as pairs such as 0c") }
        guard !bytes.isEmpty else { throw ParseError(offset: 0, message: "no bytes given; write them as hex pairs, for example \"c0 00\"") }
        self.bytes = bytes
    }

    /// `10 0c 00 04`.
    public var description: String { Self.format(bytes) }

    /// Bytes as lower-case hex pairs separated by spaces.
    public static func format(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: " ")
    }
}
