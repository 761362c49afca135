import NIOCore

/// Byte vectors written as hex in tests.
public enum Hex {
    /// Bytes from hex text; spaces and newlines are ignored. Invalid text stops the test run.
    public static func bytes(_ text: String) -> [UInt8] {
        let digits = text.filter { !$0.isWhitespace }
        precondition(digits.count % 2 == 0, "odd number of hex digits in '\(text)'")
        var bytes: [UInt8] = []
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            guard let byte = UInt8(digits[index..<next], radix: 16) else { preconditionFailure("bad hex '\(digits[index..<next])'") }
            bytes.append(byte)
            index = next
        }
        return bytes
    }

    /// A buffer holding the bytes of `text`.
    public static func buffer(_ text: String) -> ByteBuffer {
        ByteBuffer(bytes: bytes(text))
    }

    /// Lower-case hex of `bytes`.
    public static func string(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
