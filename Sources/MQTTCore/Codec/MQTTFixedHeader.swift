import NIOCore

/// The fixed header of a packet whose first bytes have arrived (section 2.2).
public struct MQTTFixedHeader: Sendable, Hashable {
    public var type: MQTTPacketType
    public var flags: UInt8
    public var remainingLength: Int
    /// Bytes of the fixed header itself: the type byte and 1 to 4 length bytes.
    public var headerLength: Int

    /// Total size of the packet on the wire.
    public var packetLength: Int { headerLength + remainingLength }
}

extension MQTTFixedHeader {
    /// Reads a fixed header from the start of `buffer` without consuming anything.
    ///
    /// Checks the packet type, the flags (Table 2.2) and the size limit as soon as the bytes
    /// that carry them have arrived, so an oversized packet is refused from its first five
    /// bytes at most, before anything of its body is buffered.
    /// - Returns: `nil` when more bytes are needed to read the header.
    /// - Throws: ``MQTTDecodingError`` for a reserved type, wrong flags, a remaining length of
    ///   more than four bytes, or a packet above `maximumPacketSize`.
    ///
    /// For MQTT 5.0 (`version`), type 15 is AUTH, and a remaining length longer than its value
    /// needs is refused [MQTT-1.5.5-1]; MQTT 3.1.1 reserves type 15 and accepts such lengths.
    public static func peek(in buffer: ByteBuffer, version: MQTTProtocolVersion = .v311, maximumPacketSize: Int) throws(MQTTDecodingError) -> MQTTFixedHeader? {
        let start = buffer.readerIndex
        let available = buffer.readableBytes
        guard available > 0, let first = buffer.getInteger(at: start, as: UInt8.self) else { return nil }
        let flags = first & 0x0F
        let type = try checkedType(first: first, flags: flags, version: version)
        var value = 0
        var shift = 0
        for position in 1...4 {
            guard position < available, let byte = buffer.getInteger(at: start + position, as: UInt8.self) else { return nil }
            value |= Int(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                if byte == 0, position > 1, version == .v5 { throw .nonMinimalRemainingLength }
                let header = MQTTFixedHeader(type: type, flags: flags, remainingLength: value, headerLength: 1 + position)
                guard header.packetLength <= maximumPacketSize else {
                    throw .packetTooLarge(size: header.packetLength, limit: maximumPacketSize)
                }
                return header
            }
            shift += 7
        }
        throw .malformedRemainingLength
    }

    /// The packet type of the first byte, after checking the flags that go with it.
    static func checkedType(first: UInt8, flags: UInt8, version: MQTTProtocolVersion) throws(MQTTDecodingError) -> MQTTPacketType {
        guard let type = MQTTPacketType(rawValue: first >> 4), type != .auth || version == .v5 else { throw .reservedPacketType(first >> 4) }
        if let required = type.requiredFlags {
            guard flags == required else { throw .invalidFixedHeaderFlags(type, flags: flags) }
        } else {
            let qos = (flags >> 1) & 0x03
            if qos == 3 { throw .invalidPublishQoS }
            if qos == 0, flags & 0x08 != 0 { throw .duplicateFlagAtQoS0 }
        }
        return type
    }
}
