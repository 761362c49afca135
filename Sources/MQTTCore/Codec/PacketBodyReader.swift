import NIOCore

/// Reads the fields of one packet body, throwing errors that name the packet and field.
struct PacketBodyReader {
    var buffer: ByteBuffer
    let type: MQTTPacketType

    var isAtEnd: Bool { buffer.readableBytes == 0 }
    var remaining: Int { buffer.readableBytes }

    /// Skips whatever is left of the body.
    mutating func skipToEnd() {
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
    }

    mutating func readByte(_ field: String) throws(MQTTDecodingError) -> UInt8 {
        guard let byte = buffer.readInteger(as: UInt8.self) else { throw .truncated(type, field: field) }
        return byte
    }

    mutating func readUInt16(_ field: String) throws(MQTTDecodingError) -> UInt16 {
        guard let value = buffer.readInteger(as: UInt16.self) else { throw .truncated(type, field: field) }
        return value
    }

    /// A non-zero packet identifier [MQTT-2.3.1-1].
    mutating func readPacketID() throws(MQTTDecodingError) -> UInt16 {
        let id = try readUInt16("packet identifier")
        guard id != 0 else { throw .zeroPacketIdentifier(type) }
        return id
    }

    /// Length-prefixed binary data, as a slice of the packet buffer.
    mutating func readBinary(_ field: String) throws(MQTTDecodingError) -> ByteBuffer {
        let length = try readUInt16("\(field) length")
        guard let slice = buffer.readSlice(length: Int(length)) else { throw .truncated(type, field: field) }
        return slice
    }

    /// A length-prefixed UTF-8 string, checked against [MQTT-1.5.3-1] and [MQTT-1.5.3-2].
    mutating func readString(_ field: String) throws(MQTTDecodingError) -> String {
        let length = Int(try readUInt16("\(field) length"))
        guard buffer.readableBytes >= length else { throw .truncated(type, field: field) }
        let bytes = buffer.readableBytesView.prefix(length)
        guard let string = String(validating: bytes, as: UTF8.self) else { throw .invalidUTF8(type, field: field) }
        if bytes.contains(0) { throw .nullCharacter(type, field: field) }
        buffer.moveReaderIndex(forwardBy: length)
        return string
    }

    mutating func readRest() -> ByteBuffer {
        buffer.readSlice(length: buffer.readableBytes) ?? ByteBuffer()
    }

    func expectEnd() throws(MQTTDecodingError) {
        if buffer.readableBytes > 0 { throw .unexpectedTrailingBytes(type, count: buffer.readableBytes) }
    }
}
