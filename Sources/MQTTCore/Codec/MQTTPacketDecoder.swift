import NIOCore

/// A streaming MQTT decoder of one protocol version: returns `nil` on partial input, a packet
/// when one is whole, and throws ``MQTTDecodingError`` on malformed input.
///
/// Usable directly, through `NIOSingleStepByteToMessageProcessor`, or in a pipeline through
/// `ByteToMessageHandler`.
public struct MQTTPacketDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = MQTTPacket

    /// Packets whose total size exceeds this are refused from their fixed header alone.
    public var maximumPacketSize: Int
    /// The connection's protocol version (see ``MQTTPacket/decode(from:version:maximumPacketSize:)``).
    public var version: MQTTProtocolVersion

    /// Creates a decoder. The default limit is the largest packet MQTT can express.
    public init(version: MQTTProtocolVersion = .v311, maximumPacketSize: Int = MQTTPacket.maximumSize) {
        self.version = version
        self.maximumPacketSize = maximumPacketSize
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> MQTTPacket? {
        try MQTTPacket.decode(from: &buffer, version: version, maximumPacketSize: maximumPacketSize)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> MQTTPacket? {
        try decode(buffer: &buffer)
    }
}
