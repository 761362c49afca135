import NIOCore

/// A streaming MQTT 3.1.1 decoder: returns `nil` on partial input, a packet when one is whole,
/// and throws ``MQTTDecodingError`` on malformed input.
///
/// Usable directly, through `NIOSingleStepByteToMessageProcessor`, or in a pipeline through
/// `ByteToMessageHandler`.
public struct MQTTPacketDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = MQTTPacket

    /// Packets whose total size exceeds this are refused from their fixed header alone.
    public var maximumPacketSize: Int

    /// Creates a decoder. The default limit is the largest packet MQTT 3.1.1 can express.
    public init(maximumPacketSize: Int = MQTTPacket.maximumSize) {
        self.maximumPacketSize = maximumPacketSize
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> MQTTPacket? {
        try MQTTPacket.decode(from: &buffer, maximumPacketSize: maximumPacketSize)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> MQTTPacket? {
        try decode(buffer: &buffer)
    }
}
