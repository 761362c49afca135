import NIOCore

/// A channel handler that turns bytes into ``MQTTPacket`` values and back, and stamps every
/// packet for a ``PacketTap``.
///
/// Malformed input fires the ``MQTTDecodingError`` down the pipeline and stops decoding; the
/// handler after this one decides whether to close.
public final class MQTTCodecHandler: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = MQTTPacket
    public typealias OutboundIn = MQTTPacket
    public typealias OutboundOut = ByteBuffer

    /// Settings for one codec handler.
    public struct Configuration: Sendable {
        /// Largest packet accepted, fixed header included. Default: the protocol maximum.
        public var maximumPacketSize: Int
        /// Identifies the connection in packet records. Default: 0.
        public var connection: UInt64
        /// Receives a record of every packet. Default: none.
        public var tap: (any PacketTap)?
        /// Stamps the records. Default: the system monotonic clock.
        public var clock: any MonotonicClock

        public init(
            maximumPacketSize: Int = 268_435_460,
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

    private let configuration: Configuration
    private var cumulation: ByteBuffer?
    private var hasFailed = false

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !hasFailed else { return }
        let incoming = unwrapInboundIn(data)
        if cumulation == nil {
            cumulation = incoming
        } else {
            var incoming = incoming
            cumulation?.writeBuffer(&incoming)
        }
        guard var buffer = cumulation else { return }
        cumulation = nil
        do {
            while true {
                let before = buffer
                guard let packet = try MQTTPacket.decode(from: &buffer, maximumPacketSize: configuration.maximumPacketSize)
                else { break }
                if let tap = configuration.tap {
                    let size = buffer.readerIndex - before.readerIndex
                    tap.record(
                        PacketRecord(
                            timestamp: configuration.clock.nanoseconds(),
                            connection: configuration.connection,
                            direction: .inbound,
                            packet: packet,
                            size: size,
                            bytes: before.getSlice(at: before.readerIndex, length: size) ?? ByteBuffer()
                        )
                    )
                }
                context.fireChannelRead(wrapInboundOut(packet))
                guard !hasFailed else { return }
            }
        } catch {
            hasFailed = true
            context.fireErrorCaught(error)
            return
        }
        if buffer.readableBytes > 0 {
            if buffer.readerIndex > 1024 { buffer.discardReadBytes() }
            cumulation = buffer
        }
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let packet = unwrapOutboundIn(data)
        var buffer = context.channel.allocator.buffer(capacity: 16)
        do {
            try packet.encode(into: &buffer)
        } catch {
            promise?.fail(error)
            return
        }
        if let tap = configuration.tap {
            tap.record(
                PacketRecord(
                    timestamp: configuration.clock.nanoseconds(),
                    connection: configuration.connection,
                    direction: .outbound,
                    packet: packet,
                    size: buffer.readableBytes,
                    bytes: buffer
                )
            )
        }
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    /// Bytes received but not yet a whole packet (for diagnostics at close).
    public var bufferedByteCount: Int { cumulation?.readableBytes ?? 0 }
}

@available(*, unavailable)
extension MQTTCodecHandler: Sendable {}
