import NIOCore

extension MQTTProperties {
    /// The largest value a Variable Byte Integer holds (section 1.5.5).
    static let maximumVariableByteInteger: UInt32 = 268_435_455

    /// The wire size of the properties with their Property Length in front.
    var encodedLength: Int { remainingLengthSize(bytes.readableBytes) + bytes.readableBytes }

    /// Writes the Property Length and the properties.
    @inline(__always)
    func write(into buffer: inout ByteBuffer) {
        buffer.writeRemainingLength(bytes.readableBytes)
        buffer.writeImmutableBuffer(bytes)
    }

    /// Writes one property, after checking the wire form can hold its value.
    static func write(_ property: MQTTProperty, into buffer: inout ByteBuffer) throws(MQTTEncodingError) {
        let id = property.identifier
        switch property.value {
        case .byte(let value):
            buffer.writeInteger(id.rawValue)
            buffer.writeInteger(value)
        case .twoByteInteger(let value):
            buffer.writeInteger(id.rawValue)
            buffer.writeInteger(value)
        case .fourByteInteger(let value):
            buffer.writeInteger(id.rawValue)
            buffer.writeInteger(value)
        case .variableByteInteger(let value):
            guard value <= maximumVariableByteInteger else { throw .propertyValueTooLarge(id, Int(value)) }
            buffer.writeInteger(id.rawValue)
            buffer.writeRemainingLength(Int(value))
        case .string(let string):
            let count = string.utf8.count
            guard count <= 65_535 else { throw .propertyValueTooLarge(id, count) }
            buffer.writeInteger(id.rawValue)
            buffer.writeMQTTString(string)
        case .stringPair(let name, let value):
            let count = Swift.max(name.utf8.count, value.utf8.count)
            guard count <= 65_535 else { throw .propertyValueTooLarge(id, count) }
            buffer.writeInteger(id.rawValue)
            buffer.writeMQTTString(name)
            buffer.writeMQTTString(value)
        case .binary(let data):
            guard data.readableBytes <= 65_535 else { throw .propertyValueTooLarge(id, data.readableBytes) }
            buffer.writeInteger(id.rawValue)
            buffer.writeMQTTBinary(data)
        }
    }

    /// Checks every rule the standard sets for properties in `context`: known identifiers
    /// allowed there, no repetition where the standard allows one, values of their type
    /// within their range, strings well-formed UTF-8 without U+0000, Variable Byte Integers in
    /// their shortest form. The decoder runs it on what it reads, the encoder on what it
    /// writes, so both refuse the same properties.
    static func validate(_ bytes: ByteBuffer, in context: MQTTPropertyContext) throws(MQTTPropertyError) {
        var reader = PropertyReader(buffer: bytes)
        let allowed = context.allowedMask
        var seen: UInt64 = 0
        while reader.buffer.readableBytes > 0 {
            let id = try reader.readIdentifier()
            let bit: UInt64 = 1 << UInt64(id.rawValue)
            guard allowed & bit != 0 else { throw .notAllowed(id) }
            if seen & bit != 0, !id.mayRepeat(in: context) { throw .repeated(id) }
            seen |= bit
            try reader.checkValue(of: id)
        }
    }
}

/// Reads properties from their wire form.
struct PropertyReader {
    var buffer: ByteBuffer

    /// A property identifier: a Variable Byte Integer naming one of Table 2-4's properties.
    @inline(__always)
    mutating func readIdentifier() throws(MQTTPropertyError) -> MQTTPropertyIdentifier {
        let raw = try readVariableByteInteger(for: nil)
        guard raw <= 0xFF, let id = MQTTPropertyIdentifier(rawValue: UInt8(raw)) else { throw .unknownIdentifier(UInt32(raw)) }
        return id
    }

    /// Reads one whole property.
    mutating func readProperty() throws(MQTTPropertyError) -> MQTTProperty {
        let id = try readIdentifier()
        let value: MQTTPropertyValue
        switch id.valueType {
        case .byte: value = .byte(try read(UInt8.self, for: id))
        case .twoByteInteger: value = .twoByteInteger(try read(UInt16.self, for: id))
        case .fourByteInteger: value = .fourByteInteger(try read(UInt32.self, for: id))
        case .variableByteInteger: value = .variableByteInteger(UInt32(try readVariableByteInteger(for: id)))
        case .utf8String: value = .string(try readString(for: id).string)
        case .utf8StringPair: value = .stringPair(try readString(for: id).string, try readString(for: id).string)
        case .binaryData: value = .binary(try readBinary(for: id))
        }
        guard let property = MQTTProperty(identifier: id, value: value) else { throw .truncated(id) }
        return property
    }

    /// Checks the value of `id` without building it: its bytes, and the range the standard
    /// gives it.
    @inline(__always)
    mutating func checkValue(of id: MQTTPropertyIdentifier) throws(MQTTPropertyError) {
        switch id.valueType {
        case .byte:
            let value = try read(UInt8.self, for: id)
            // Every byte property is a flag or Maximum QoS: 0 or 1 (sections 3.1.2.11.6,
            // 3.1.2.11.7, 3.2.2.3.4, 3.2.2.3.5, 3.2.2.3.11 to 3.2.2.3.13, 3.3.2.3.2).
            if value > 1 { throw .invalidValue(id, UInt32(value)) }
        case .twoByteInteger:
            let value = try read(UInt16.self, for: id)
            // Topic Alias 0 [MQTT-3.3.2-8]; Receive Maximum 0 (3.1.2.11.3, 3.2.2.3.3).
            if value == 0, id == .topicAlias || id == .receiveMaximum { throw .invalidValue(id, 0) }
        case .fourByteInteger:
            let value = try read(UInt32.self, for: id)
            // Maximum Packet Size 0 (3.1.2.11.4, 3.2.2.3.6).
            if value == 0, id == .maximumPacketSize { throw .invalidValue(id, 0) }
        case .variableByteInteger:
            // Subscription Identifier 0 (3.3.2.3.8, 3.8.2.1.2).
            if try readVariableByteInteger(for: id) == 0 { throw .invalidValue(id, 0) }
        case .utf8String where id == .responseTopic:
            // A topic name: not empty [MQTT-4.7.3-1], no wildcard [MQTT-3.3.2-14].
            let (topic, hasWildcard) = try readString(for: id)
            if topic.utf8.isEmpty { throw .invalidResponseTopic(.empty) }
            if hasWildcard { throw .invalidResponseTopic(.wildcardInTopicName(topic)) }
        case .utf8String:
            try scanString(for: id)
        case .utf8StringPair:
            try scanString(for: id)
            try scanString(for: id)
        case .binaryData:
            _ = try readBinary(for: id)
        }
    }

    @inline(__always)
    private mutating func read<T: FixedWidthInteger>(_ type: T.Type, for id: MQTTPropertyIdentifier) throws(MQTTPropertyError) -> T {
        guard let value = buffer.readInteger(as: T.self) else { throw .truncated(id) }
        return value
    }

    @inline(__always)
    private mutating func readVariableByteInteger(for id: MQTTPropertyIdentifier?) throws(MQTTPropertyError) -> Int {
        do {
            return try buffer.readVariableByteInteger()
        } catch {
            switch error {
            case .truncated:
                guard let id else { throw .malformedVariableByteInteger }
                throw .truncated(id)
            case .tooLong: throw .malformedVariableByteInteger
            case .nonMinimal: throw .nonMinimalVariableByteInteger
            }
        }
    }

    private mutating func readBinary(for id: MQTTPropertyIdentifier) throws(MQTTPropertyError) -> ByteBuffer {
        let length = try read(UInt16.self, for: id)
        guard let slice = buffer.readSlice(length: Int(length)) else { throw .truncated(id) }
        return slice
    }

    private mutating func readString(for id: MQTTPropertyIdentifier) throws(MQTTPropertyError) -> (string: String, hasWildcard: Bool) {
        let length = Int(try read(UInt16.self, for: id))
        let scan = buffer.withUnsafeReadableBytes { bytes -> UTF8Scan in
            guard bytes.count >= length else { return .truncated }
            return UTF8Scan(UnsafeRawBufferPointer(rebasing: bytes[..<length]))
        }
        switch scan {
        case .truncated: throw .truncated(id)
        case .invalid: throw .invalidUTF8(id)
        case .null: throw .nullCharacter(id)
        case .valid(let string, let hasWildcard):
            buffer.moveReaderIndex(forwardBy: length)
            return (string, hasWildcard)
        }
    }

    /// Checks a length-prefixed string in place: well-formed UTF-8 [MQTT-1.5.4-1], no U+0000
    /// [MQTT-1.5.4-2]. ASCII (the usual case) is checked without building a string.
    @inline(__always)
    private mutating func scanString(for id: MQTTPropertyIdentifier) throws(MQTTPropertyError) {
        let length = Int(try read(UInt16.self, for: id))
        enum Outcome { case truncated, invalid, null, valid }
        let outcome = buffer.withUnsafeReadableBytes { bytes -> Outcome in
            guard bytes.count >= length else { return .truncated }
            let slice = UnsafeRawBufferPointer(rebasing: bytes[..<length])
            var isASCII = true
            var hasNull = false
            for byte in slice {
                if byte >= 0x80 { isASCII = false }
                if byte == 0 { hasNull = true }
            }
            if !isASCII, String(validating: slice, as: UTF8.self) == nil { return .invalid }
            return hasNull ? .null : .valid
        }
        switch outcome {
        case .truncated: throw .truncated(id)
        case .invalid: throw .invalidUTF8(id)
        case .null: throw .nullCharacter(id)
        case .valid:
            buffer.moveReaderIndex(forwardBy: length)
        }
    }

}
