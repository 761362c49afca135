import NIOCore

extension ByteBuffer {
    /// The largest remaining length four bytes can encode (section 2.2.3).
    static let maximumRemainingLength = 268_435_455

    /// Writes `value` as an MQTT variable byte integer (1 to 4 bytes).
    @inline(__always)
    mutating func writeRemainingLength(_ value: Int) {
        var value = value
        repeat {
            var byte = UInt8(truncatingIfNeeded: value & 0x7F)
            value >>= 7
            if value > 0 { byte |= 0x80 }
            writeInteger(byte)
        } while value > 0
    }

    /// Writes a UTF-8 string with its two-byte length prefix (section 1.5.3). The caller has
    /// checked the length (see `MQTTPacket.validateForEncoding()`).
    @inline(__always)
    mutating func writeMQTTString(_ string: String) {
        writeInteger(UInt16(truncatingIfNeeded: string.utf8.count))
        writeString(string)
    }

    /// Writes binary data with its two-byte length prefix (section 1.5.6, CONNECT password and
    /// will message). The caller has checked the length.
    @inline(__always)
    mutating func writeMQTTBinary(_ data: ByteBuffer) {
        writeInteger(UInt16(truncatingIfNeeded: data.readableBytes))
        writeImmutableBuffer(data)
    }
}

/// The number of bytes a variable byte integer takes for `value`.
@inline(__always)
func remainingLengthSize(_ value: Int) -> Int {
    switch value {
    case ..<128: 1
    case ..<16_384: 2
    case ..<2_097_152: 3
    default: 4
    }
}

/// Why a Variable Byte Integer (section 1.5.5) could not be read.
enum VariableByteIntegerError: Error {
    /// The buffer ends inside it.
    case truncated
    /// A fifth byte would follow.
    case tooLong
    /// It uses more bytes than its value needs [MQTT-1.5.5-1].
    case nonMinimal
}

extension ByteBuffer {
    /// Reads a Variable Byte Integer (section 1.5.5): at most four bytes, and no more than its
    /// value needs. Nothing is consumed when it throws.
    @inline(__always)
    mutating func readVariableByteInteger() throws(VariableByteIntegerError) -> Int {
        let start = readerIndex
        var value = 0
        var shift = 0
        for position in 0..<4 {
            guard let byte = getInteger(at: start + position, as: UInt8.self) else { throw .truncated }
            value |= Int(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                if position > 0, byte == 0 { throw .nonMinimal }
                moveReaderIndex(forwardBy: position + 1)
                return value
            }
            shift += 7
        }
        throw .tooLong
    }
}
