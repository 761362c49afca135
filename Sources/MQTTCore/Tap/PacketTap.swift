/// Which way a packet travelled, seen from the endpoint that recorded it.
public enum PacketDirection: Sendable, Hashable {
    /// Received by the recording endpoint.
    case inbound
    /// Sent by the recording endpoint.
    case outbound
}

import NIOCore

/// One packet seen at the codec boundary, stamped when it was decoded or encoded.
///
/// The record carries the whole packet, so its key fields (packet id, QoS, topic, return
/// codes; see ``MQTTPacket/summary``) cost nothing extra to keep: the payload is a slice of
/// the received buffer, not a copy.
public struct PacketRecord: Sendable, Hashable {
    /// Monotonic time in nanoseconds (see ``MonotonicClock``). ``MQTTCodecHandler`` stamps an
    /// inbound packet when the read that completes it arrives (packets completed by one read
    /// share the stamp) and an outbound packet when it encodes it.
    public var timestamp: UInt64
    /// The connection the packet travelled on, unique within a run.
    public var connection: UInt64
    public var direction: PacketDirection
    public var packet: MQTTPacket
    /// Size on the wire in bytes, fixed header included.
    public var size: Int
    /// The packet's bytes exactly as they crossed the wire (a slice of the codec's buffer, not a
    /// copy); empty when the recorder did not keep them.
    public var bytes: ByteBuffer

    public init(timestamp: UInt64, connection: UInt64, direction: PacketDirection, packet: MQTTPacket, size: Int, bytes: ByteBuffer = ByteBuffer()) {
        self.timestamp = timestamp
        self.connection = connection
        self.direction = direction
        self.packet = packet
        self.size = size
        self.bytes = bytes
    }
}

/// Receives every packet a codec handler decodes or encodes.
///
/// Implementations must be cheap and must not block: they run on the event loop for every
/// packet. (`harness bench codec` measures what a tap costs.)
public protocol PacketTap: Sendable {
    /// Takes one record; called on the connection's event loop, in wire order.
    func record(_ record: PacketRecord)
}
