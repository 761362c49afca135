import NIOCore

extension MQTTProperties {
    /// The largest value a Variable Byte Integer holds (section 1.5.5).
    static let maximumVariableByteInteger: UInt32 = 268_435_455

    /// The wire size of the properties with their Property Length in front.
    var encodedLength: Int { remainingLengthSize(byteCount) + byteCount }

    /// Writes the Property Length and the properties.
    @inline(__always)
    func write(into buffer: inout ByteBuffer) {
        guard !isEmpty else {
            buffer.writeInteger(UInt8(0))
            return
        }
        let bytes = self.bytes
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
        if let problem = bytes.withUnsafeReadableBytes({ PropertyValidator.check($0, in: context) }) { throw problem }
    }
}

/// Reads properties from their wire form.
struct PropertyReader {
    var buffer: ByteBuffer

    /// A property identifier: a Variable Byte Integer naming one of Table 2-4's properties.
    @inline(__always)
    mutating func readIdentifier() throws(MQTTPropertyError) -> MQTTPropertyIdentifier {
        // Every identifier fits in one byte; a longer Variable Byte Integer names none.
        if let byte = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self), byte < 0x80 {
            buffer.moveReaderIndex(forwardBy: 1)
            guard let id = MQTTPropertyIdentifier(rawValue: byte) else { throw .unknownIdentifier(UInt32(byte)) }
            return id
        }
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
}
