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
