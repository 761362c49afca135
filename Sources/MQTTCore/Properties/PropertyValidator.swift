/// Checks the wire form of a property list in one pass over its bytes, without building any
/// value: the decoder's hot path (a PUBLISH's properties) and the encoder's check.
enum PropertyValidator {
    /// Identifier bits (1 << identifier, all identifiers are below 64) by data type (Table 2-4).
    static let byteTypes: UInt64 = 1 << 0x01 | 1 << 0x17 | 1 << 0x19 | 1 << 0x24 | 1 << 0x25 | 1 << 0x28 | 1 << 0x29 | 1 << 0x2A
    static let twoByteTypes: UInt64 = 1 << 0x13 | 1 << 0x21 | 1 << 0x22 | 1 << 0x23
    static let fourByteTypes: UInt64 = 1 << 0x02 | 1 << 0x11 | 1 << 0x18 | 1 << 0x27
    static let variableByteTypes: UInt64 = 1 << 0x0B
    static let stringTypes: UInt64 = 1 << 0x03 | 1 << 0x08 | 1 << 0x12 | 1 << 0x15 | 1 << 0x1A | 1 << 0x1C | 1 << 0x1F
    static let binaryTypes: UInt64 = 1 << 0x09 | 1 << 0x16
    /// Two-byte values that may not be 0: Receive Maximum (3.1.2.11.3, 3.2.2.3.3), Topic Alias
    /// [MQTT-3.3.2-8].
    static let nonZeroTwoByte: UInt64 = 1 << 0x21 | 1 << 0x23
    static let maximumPacketSize: UInt64 = 1 << 0x27
    static let responseTopic: UInt64 = 1 << 0x08
    static let userProperty: UInt64 = 1 << 0x26
    static let subscriptionIdentifier: UInt64 = 1 << 0x0B

    /// The first rule `raw` (properties without their Property Length) breaks in `context`, or
    /// `nil`: known identifiers allowed there, no repetition where the standard allows one,
    /// values of their type within their range (every byte property is a flag or Maximum QoS,
    /// 0 or 1; Receive Maximum, Topic Alias, Maximum Packet Size and Subscription Identifier
    /// are not 0), strings well-formed UTF-8 without U+0000, a Response Topic a topic name,
    /// Variable Byte Integers in their shortest form.
    static func check(_ raw: UnsafeRawBufferPointer, in context: MQTTPropertyContext) -> MQTTPropertyError? {
        let allowed = context.allowedMask
        let repeatable = context == .publish ? userProperty | subscriptionIdentifier : userProperty
        var seen: UInt64 = 0
        var index = 0
        let end = raw.count
        while index < end {
            // The identifier is a Variable Byte Integer; every defined one takes one byte.
            let first = raw[index]
            guard first < 0x80 else { return longIdentifier(raw, at: index) }
            index += 1
            guard first < 64 else { return .unknownIdentifier(UInt32(first)) }
            let bit: UInt64 = 1 << UInt64(first)
            guard allowed & bit != 0 else {
                return MQTTPropertyIdentifier(rawValue: first).map { .notAllowed($0) } ?? .unknownIdentifier(UInt32(first))
            }
            if seen & bit != 0, repeatable & bit == 0 { return .repeated(identifier(first)) }
            seen |= bit
            if bit & byteTypes != 0 {
                guard index < end else { return .truncated(identifier(first)) }
                let value = raw[index]
                index += 1
                if value > 1 { return .invalidValue(identifier(first), UInt32(value)) }
            } else if bit & twoByteTypes != 0 {
                guard end - index >= 2 else { return .truncated(identifier(first)) }
                let value = UInt16(raw[index]) << 8 | UInt16(raw[index + 1])
                index += 2
                if value == 0, bit & nonZeroTwoByte != 0 { return .invalidValue(identifier(first), 0) }
            } else if bit & fourByteTypes != 0 {
                guard end - index >= 4 else { return .truncated(identifier(first)) }
                let value = UInt32(raw[index]) << 24 | UInt32(raw[index + 1]) << 16 | UInt32(raw[index + 2]) << 8 | UInt32(raw[index + 3])
                index += 4
                if value == 0, bit == maximumPacketSize { return .invalidValue(identifier(first), 0) }
            } else if bit & variableByteTypes != 0 {
                switch variableByteInteger(raw, at: &index) {
                case .value(let value): if value == 0 { return .invalidValue(identifier(first), 0) }
                case .truncated: return .truncated(identifier(first))
                case .tooLong: return .malformedVariableByteInteger
                case .nonMinimal: return .nonMinimalVariableByteInteger
                }
            } else if bit & binaryTypes != 0 {
                guard end - index >= 2 else { return .truncated(identifier(first)) }
                let length = Int(raw[index]) << 8 | Int(raw[index + 1])
                index += 2
                guard end - index >= length else { return .truncated(identifier(first)) }
                index += length
            } else if bit & stringTypes != 0 {
                if let problem = checkString(raw, at: &index, id: first, isTopicName: bit == responseTopic) { return problem }
            } else {
                // The UTF-8 String Pair of a User Property.
                if let problem = checkString(raw, at: &index, id: first, isTopicName: false) { return problem }
                if let problem = checkString(raw, at: &index, id: first, isTopicName: false) { return problem }
            }
        }
        return nil
    }

    /// The identifier for an error (the caller has checked `raw` is one).
    private static func identifier(_ raw: UInt8) -> MQTTPropertyIdentifier {
        MQTTPropertyIdentifier(rawValue: raw) ?? .userProperty
    }

    /// An identifier written in more than one byte: malformed, not minimal, or unknown.
    private static func longIdentifier(_ raw: UnsafeRawBufferPointer, at start: Int) -> MQTTPropertyError {
        var index = start
        switch variableByteInteger(raw, at: &index) {
        case .value(let value): return .unknownIdentifier(UInt32(value))
        case .truncated, .tooLong: return .malformedVariableByteInteger
        case .nonMinimal: return .nonMinimalVariableByteInteger
        }
    }

    private enum VariableByteInteger {
        case value(Int)
        case truncated
        case tooLong
        case nonMinimal
    }

    /// A Variable Byte Integer at `index` (section 1.5.5): at most four bytes, none more than
    /// its value needs [MQTT-1.5.5-1].
    @inline(__always)
    private static func variableByteInteger(_ raw: UnsafeRawBufferPointer, at index: inout Int) -> VariableByteInteger {
        var value = 0
        var shift = 0
        for position in 0..<4 {
            guard index < raw.count else { return .truncated }
            let byte = raw[index]
            index += 1
            value |= Int(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return position > 0 && byte == 0 ? .nonMinimal : .value(value) }
            shift += 7
        }
        return .tooLong
    }

    /// A length-prefixed UTF-8 string at `index`: well-formed [MQTT-1.5.4-1], no U+0000
    /// [MQTT-1.5.4-2]; for a Response Topic also a topic name: not empty, no wildcard.
    @inline(__always)
    private static func checkString(_ raw: UnsafeRawBufferPointer, at index: inout Int, id: UInt8, isTopicName: Bool) -> MQTTPropertyError? {
        guard raw.count - index >= 2 else { return .truncated(identifier(id)) }
        let length = Int(raw[index]) << 8 | Int(raw[index + 1])
        index += 2
        guard raw.count - index >= length else { return .truncated(identifier(id)) }
        let text = UnsafeRawBufferPointer(rebasing: raw[index..<(index + length)])
        index += length
        // Eight bytes at a time: any byte with its high bit set (not ASCII), any zero byte.
        var highBits: UInt64 = 0
        var hasNull = false
        var offset = 0
        while offset + 8 <= length {
            let word = text.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            highBits |= word & 0x8080_8080_8080_8080
            if (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080 != 0 { hasNull = true }
            offset += 8
        }
        while offset < length {
            let byte = text[offset]
            highBits |= UInt64(byte & 0x80)
            if byte == 0 { hasNull = true }
            offset += 1
        }
        if highBits != 0, String(validating: text, as: UTF8.self) == nil { return .invalidUTF8(identifier(id)) }
        if hasNull { return .nullCharacter(identifier(id)) }
        if isTopicName {
            if length == 0 { return .invalidResponseTopic(.empty) }
            if text.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }) {
                return .invalidResponseTopic(.wildcardInTopicName(String(decoding: text, as: UTF8.self)))
            }
        }
        return nil
    }
}
