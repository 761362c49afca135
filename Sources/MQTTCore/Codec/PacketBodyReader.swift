import NIOCore

/// Reads the fields of one packet body, throwing errors that name the packet and field.
struct PacketBodyReader {
    var buffer: ByteBuffer
    let type: MQTTPacketType

    init(buffer: ByteBuffer, type: MQTTPacketType) {
        self.buffer = buffer
        self.type = type
    }

    var isAtEnd: Bool { buffer.readableBytes == 0 }

    @inline(__always)
    /// Skips whatever is left of the body.
    mutating func skipToEnd() {
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
    }

    mutating func readByte(_ field: MQTTPacketField) throws(MQTTDecodingError) -> UInt8 {
        guard let byte = buffer.readInteger(as: UInt8.self) else { throw .truncated(type, field: field) }
        return byte
    }

    @inline(__always)
    mutating func readUInt16(_ field: MQTTPacketField) throws(MQTTDecodingError) -> UInt16 {
        guard let value = buffer.readInteger(as: UInt16.self) else { throw .truncated(type, field: field) }
        return value
    }

    /// A packet identifier, which is never 0 (see ``MQTTDecodingError/zeroPacketIdentifier(_:)``).
    @inline(__always)
    mutating func readPacketID() throws(MQTTDecodingError) -> UInt16 {
        let id = try readUInt16(.packetIdentifier)
        guard id != 0 else { throw .zeroPacketIdentifier(type) }
        return id
    }

    /// Length-prefixed binary data, as a slice of the packet buffer (no copy).
    mutating func readBinary(_ field: MQTTPacketField) throws(MQTTDecodingError) -> ByteBuffer {
        let length = try readUInt16(field)
        guard let slice = buffer.readSlice(length: Int(length)) else { throw .truncated(type, field: field) }
        return slice
    }

    /// A length-prefixed UTF-8 string, checked against [MQTT-1.5.3-1] and [MQTT-1.5.3-2].
    /// A byte order mark is kept as U+FEFF [MQTT-1.5.3-3].
    mutating func readString(_ field: MQTTPacketField) throws(MQTTDecodingError) -> String {
        try readScannedString(field).string
    }

    /// A PUBLISH or will topic name: a string ([MQTT-1.5.3-1], [MQTT-1.5.3-2]) that is not
    /// empty [MQTT-4.7.3-1] and holds no wildcard ([MQTT-3.3.2-2], [MQTT-4.7.1-1]), checked in
    /// the same pass over its bytes.
    /// With `allowingEmpty` (an MQTT 5.0 PUBLISH, whose Topic Alias may stand for its name), an
    /// empty name passes.
    @inline(__always)
    mutating func readTopicName(_ field: MQTTPacketField, allowingEmpty: Bool = false) throws(MQTTDecodingError) -> TopicName {
        let scanned = try readScannedString(field)
        if scanned.string.utf8.isEmpty, !allowingEmpty { throw .invalidTopic(type, .empty) }
        if scanned.hasWildcard { throw .invalidTopic(type, .wildcardInTopicName(scanned.string)) }
        return TopicName(validated: scanned.string)
    }

    /// A topic filter [MQTT-3.8.3-1], [MQTT-3.10.3-1] with its section 4.7 rules.
    mutating func readTopicFilter() throws(MQTTDecodingError) -> TopicFilter {
        let text = try readString(.topicFilter)
        do { return try TopicFilter(text) } catch { throw .invalidTopic(type, error) }
    }

    /// The rest of the body, as a slice (no copy).
    mutating func readRest() -> ByteBuffer {
        buffer.readSlice(length: buffer.readableBytes) ?? ByteBuffer()
    }

    func expectEnd() throws(MQTTDecodingError) {
        if buffer.readableBytes > 0 { throw .unexpectedTrailingBytes(type, count: buffer.readableBytes) }
    }

    /// Reads a length-prefixed string, validating it in one pass that also notes wildcards.
    @inline(__always)
    private mutating func readScannedString(_ field: MQTTPacketField) throws(MQTTDecodingError) -> (string: String, hasWildcard: Bool) {
        let length = Int(try readUInt16(field))
        let scan = buffer.withUnsafeReadableBytes { bytes -> UTF8Scan in
            guard bytes.count >= length else { return .truncated }
            return UTF8Scan(UnsafeRawBufferPointer(rebasing: bytes[..<length]))
        }
        switch scan {
        case .truncated:
            throw .truncated(type, field: field)
        case .invalid:
            throw .invalidUTF8(type, field: field)
        case .null:
            throw .nullCharacter(type, field: field)
        case .valid(let string, let hasWildcard):
            buffer.moveReaderIndex(forwardBy: length)
            return (string, hasWildcard)
        }
    }
}

/// The result of checking the bytes of an MQTT string.
enum UTF8Scan {
    case truncated
    case invalid
    case null
    case valid(String, hasWildcard: Bool)

    /// Checks `bytes`: well-formed UTF-8 first (section 1.5.3: no surrogates, no overlong
    /// forms, nothing above U+10FFFF), then U+0000, noting `+` and `#` on the way.
    @inline(__always)
    init(_ bytes: UnsafeRawBufferPointer) {
        var isASCII = true
        var hasNull = false
        var hasWildcard = false
        for byte in bytes {
            if byte >= 0x80 { isASCII = false }
            if byte == 0 { hasNull = true }
            if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "#") { hasWildcard = true }
        }
        let string: String
        if isASCII {
            // Every ASCII byte sequence is well-formed UTF-8.
            string = String(decoding: bytes, as: UTF8.self)
        } else {
            guard let validated = String(validating: bytes, as: UTF8.self) else {
                self = .invalid
                return
            }
            string = validated
        }
        self = hasNull ? .null : .valid(string, hasWildcard: hasWildcard)
    }
}
