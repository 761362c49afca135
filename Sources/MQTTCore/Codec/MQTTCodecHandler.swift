import NIOCore

/// A channel handler that turns bytes into ``MQTTPacket`` values and back, and stamps every
/// packet for a ``PacketTap``.
///
/// Inbound packets are stamped when the read that completes them reaches the handler; the
/// packets one read completes arrived together and share that stamp (and the clock is read
/// once for them). Outbound packets are stamped when they are encoded.
///
/// Malformed input fires the ``MQTTDecodingError`` down the pipeline and stops decoding; the
/// handler after this one decides whether to close. A packet whose fixed header announces more
/// than ``Configuration/maximumPacketSize`` bytes is refused before any of its body is
/// buffered.
public final class MQTTCodecHandler: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = MQTTPacket
    public typealias OutboundIn = MQTTPacket
    public typealias OutboundOut = ByteBuffer

    /// Settings for one codec handler.
    public struct Configuration: Sendable {
        /// Largest packet accepted, fixed header included. Default: the protocol maximum,
        /// ``MQTTPacket/maximumSize``.
        public var maximumPacketSize: Int
        /// Identifies the connection in packet records. Default: 0.
        public var connection: UInt64
        /// Receives a record of every packet. Default: none.
        public var tap: (any PacketTap)?
        /// Stamps the records. Default: the system monotonic clock.
        public var clock: any MonotonicClock

        public init(
            maximumPacketSize: Int = MQTTPacket.maximumSize,
            connection: UInt64 = 0,
            tap: (any PacketTap)? = nil,
            clock: any MonotonicClock = SystemMonotonicClock()
        ) {
            self.maximumPacketSize = maximumPacketSize
            self.connection = connection
            self.tap = tap
            self.clock = clock
        }
    }

    private let maximumPacketSize: Int
    private let connection: UInt64
    private let tap: (any PacketTap)?
    private let clock: any MonotonicClock
    private var cumulation: ByteBuffer?
    private var hasFailed = false

    public init(configuration: Configuration = Configuration()) {
        maximumPacketSize = configuration.maximumPacketSize
        connection = configuration.connection
        tap = configuration.tap
        clock = configuration.clock
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !hasFailed else { return }
        var buffer = unwrapInboundIn(data)
        if var pending = cumulation {
            cumulation = nil
            pending.writeBuffer(&buffer)
            buffer = pending
        }
        do {
            if let tap {
                // Opens the existential once per read, so recording costs no copy of the tap.
                try decodePackets(from: &buffer, context: context, tap: tap)
            } else {
                try decodePackets(from: &buffer, context: context)
            }
        } catch {
            hasFailed = true
            context.fireErrorCaught(error)
            return
        }
        guard !hasFailed else { return }
        if buffer.readableBytes > 0 {
            if buffer.readerIndex > 1024 { buffer.discardReadBytes() }
            cumulation = buffer
        }
    }

    /// Decodes and passes on every whole packet in `buffer`, recording each for `tap`.
    private func decodePackets<Tap: PacketTap>(from buffer: inout ByteBuffer, context: ChannelHandlerContext, tap: Tap) throws(MQTTDecodingError) {
        var stamp: UInt64?
        while !hasFailed {
            let start = buffer.readerIndex
            guard let packet = try MQTTPacket.decode(from: &buffer, maximumPacketSize: maximumPacketSize) else { return }
            let timestamp = stamp ?? clock.nanoseconds()
            stamp = timestamp
            let end = buffer.readerIndex
            // The frame's bytes: a slice of the read buffer, not a copy.
            buffer.moveReaderIndex(to: start)
            let bytes = buffer.readSlice(length: end - start) ?? ByteBuffer()
            // The packet moves into the record and back out: no reference counting.
            let record = PacketRecord(
                timestamp: timestamp,
                connection: connection,
                direction: .inbound,
                packet: consume packet,
                size: end - start,
                bytes: bytes
            )
            tap.record(record)
            context.fireChannelRead(wrapInboundOut((consume record).packet))
        }
    }

    /// Decodes and passes on every whole packet in `buffer`.
    private func decodePackets(from buffer: inout ByteBuffer, context: ChannelHandlerContext) throws(MQTTDecodingError) {
        while !hasFailed {
            guard let packet = try MQTTPacket.decode(from: &buffer, maximumPacketSize: maximumPacketSize) else { return }
            context.fireChannelRead(wrapInboundOut(consume packet))
        }
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let packet = unwrapOutboundIn(data)
        let buffer: ByteBuffer
        do {
            buffer = try packet.encoded(allocator: context.channel.allocator)
        } catch {
            promise?.fail(error)
            return
        }
        if let tap {
            tap.record(
                PacketRecord(
                    timestamp: clock.nanoseconds(),
                    connection: connection,
                    direction: .outbound,
                    packet: packet,
                    size: buffer.readableBytes,
                    bytes: buffer
                )
            )
        }
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    /// Bytes received but not yet a whole packet (for diagnostics at close). After a decoding
    /// error nothing is kept.
    public var bufferedByteCount: Int { cumulation?.readableBytes ?? 0 }
}

@available(*, unavailable)
extension MQTTCodecHandler: Sendable {}
