import MQTTCore
import NIOCore

/// Watches the bytes flowing one way through the tap proxy without changing them: decodes
/// them as MQTT with its own buffer and records every whole packet. Malformed input is
/// reported once and the bytes still pass through, so the proxy stays transparent.
///
/// Both directions of a connection decode in the version the device's CONNECT named (MQTT
/// 3.1.1 or 5.0, see ``ConnectionVersion``), so MQTT 5.0 packets are recorded with their
/// properties and reason codes.
///
/// It sits on the device's channel and watches either what the device sends (its reads) or
/// what the proxy writes to it (its writes), so both directions are timed where the device is:
/// bytes to the device are stamped when they leave the proxy, after any delay a fault adds.
final class StreamTapHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let connection: UInt64
    private let direction: PacketDirection
    private let tap: any PacketTap
    private let clock: any MonotonicClock
    private let version: ConnectionVersion
    private let onMalformed: @Sendable (MQTTDecodingError) -> Void
    private var pending = ByteBuffer()
    private var hasFailed = false

    /// - Parameters:
    ///   - direction: `.outbound` watches the device's reads (bytes to the broker), `.inbound`
    ///     the writes to the device (the device's view).
    ///   - version: the connection's protocol version, shared with the other direction's tap.
    init(
        connection: UInt64,
        direction: PacketDirection,
        version: ConnectionVersion,
        tap: any PacketTap,
        clock: any MonotonicClock,
        onMalformed: @escaping @Sendable (MQTTDecodingError) -> Void
    ) {
        self.connection = connection
        self.version = version
        self.direction = direction
        self.tap = tap
        self.clock = clock
        self.onMalformed = onMalformed
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if direction == .outbound { watch(unwrapInboundIn(data)) }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if direction == .inbound { watch(unwrapOutboundIn(data)) }
        context.write(data, promise: promise)
    }

    private func watch(_ bytes: ByteBuffer) {
        guard !hasFailed else { return }
        var copy = bytes
        pending.writeBuffer(&copy)
        decode()
    }

    private func decode() {
        do {
            while true {
                let before = pending
                let decoding = version.decodingVersion(direction, firstByte: pending.getInteger(at: pending.readerIndex, as: UInt8.self))
                guard let packet = try MQTTPacket.decode(from: &pending, version: decoding) else { break }
                version.decoded(packet, direction: direction)
                let size = pending.readerIndex - before.readerIndex
                tap.record(
                    PacketRecord(
                        timestamp: clock.nanoseconds(),
                        connection: connection,
                        direction: direction,
                        packet: packet,
                        size: size,
                        bytes: before.getSlice(at: before.readerIndex, length: size) ?? ByteBuffer()
                    )
                )
            }
            if pending.readerIndex > 4096 { pending.discardReadBytes() }
        } catch {
            hasFailed = true
            pending.clear()
            onMalformed(error)
        }
    }
}

@available(*, unavailable)
extension StreamTapHandler: Sendable {}
