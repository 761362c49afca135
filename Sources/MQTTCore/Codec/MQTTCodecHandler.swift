import NIOCore

/// A channel handler that turns bytes into ``MQTTPacket`` values and back, and stamps every
/// packet for a ``PacketTap``.
///
/// Inbound packets are stamped when the read that completes them reaches the handler; the
/// packets one read completes arrived together and share that stamp (and the clock is read
/// once for them). Outbound packets are stamped when they are encoded.
///
/// Malformed input fires the ``MQTTDecodingError`` down the pipeline and stops decoding and
/// reading; the handler after this one decides whether to close. A packet whose fixed header announces more
/// than ``Configuration/maximumPacketSize`` bytes is refused before any of its body is
/// buffered.
///
/// The codec speaks one protocol version at a time (``Configuration/protocolVersion``). A server
/// that accepts both MQTT 3.1.1 and 5.0 sets ``Configuration/adoptsConnectVersion``: a first
/// packet that is a CONNECT is then decoded as MQTT 5.0 would (in the layout of its own
/// protocol level; any other first packet in the configured version), and a CONNECT of level 5 switches the codec to MQTT 5.0 for everything
/// after it, both ways; any other first packet leaves the configured version. A simulated
/// MQTT 3.1.1 server (the IoT Hub) leaves it off, so a level-5 CONNECT reaches it undecoded
/// and is answered with CONNACK 1 in 3.1.1 framing, as the standard asks.
///
/// A server's codec can also hold a connection to what its CONNECT needs until it is accepted
/// (``Configuration/admission``): the first packet may be at most
/// ``Admission/maximumConnectSize`` bytes, and after it nothing more is decoded, and once a
/// little more is buffered nothing more is read from the socket, until this codec writes a
/// CONNACK accepting the connection. A client that never authenticates can then hold only a
/// few kilobytes, however much it sends, and packets pipelined behind a CONNECT are handled
/// only after the server accepted it.
public final class MQTTCodecHandler: ChannelDuplexHandler {
    /// Where a server's codec is in admitting its connection.
    private enum AdmissionState {
        /// Nothing decoded yet: the next packet may be at most the CONNECT limit.
        case awaitingConnect(limit: Int)
        /// The first packet went up: decode nothing more until a CONNACK accepts the
        /// connection; read more only while at most `limit` bytes are buffered.
        case awaitingAcceptance(limit: Int)
        /// Accepted (or no admission configured): decode everything.
        case admitted
    }

    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = MQTTPacket
    public typealias OutboundIn = MQTTPacket
    public typealias OutboundOut = ByteBuffer

    /// How a server's codec holds a connection until its CONNECT is accepted.
    public struct Admission: Sendable, Hashable {
        /// Largest first packet accepted, fixed header included.
        public var maximumConnectSize: Int

        public init(maximumConnectSize: Int) {
            self.maximumConnectSize = maximumConnectSize
        }
    }

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
        /// For a server's codec: hold the connection to its CONNECT until a CONNACK accepting
        /// it is written. Default: `nil` (clients, and servers that need no such hold).
        public var admission: Admission?
        /// The protocol version packets are decoded and encoded in. Default: MQTT 3.1.1.
        public var protocolVersion: MQTTProtocolVersion
        /// For a server's codec that speaks both versions: take the version from the first
        /// packet's CONNECT (level 5: MQTT 5.0). Default: `false`.
        public var adoptsConnectVersion: Bool

        public init(
            maximumPacketSize: Int = MQTTPacket.maximumSize,
            connection: UInt64 = 0,
            tap: (any PacketTap)? = nil,
            clock: any MonotonicClock = SystemMonotonicClock(),
            admission: Admission? = nil,
            protocolVersion: MQTTProtocolVersion = .v311,
            adoptsConnectVersion: Bool = false
        ) {
            self.protocolVersion = protocolVersion
            self.adoptsConnectVersion = adoptsConnectVersion
            self.maximumPacketSize = maximumPacketSize
            self.connection = connection
            self.tap = tap
            self.clock = clock
            self.admission = admission
        }
    }

    private let maximumPacketSize: Int
    private let connection: UInt64
    private let tap: (any PacketTap)?
    private let clock: any MonotonicClock
    private var cumulation: ByteBuffer?
    private var hasFailed = false
    private var admission: AdmissionState
    /// A read the pipeline asked for while reading was held back.
    private var heldRead = false
    /// Whether the first packet is still to come and its CONNECT will set the version.
    private var awaitingConnectVersion: Bool

    /// The protocol version the codec decodes and encodes in now: the configured one, or the
    /// one a CONNECT set (``Configuration/adoptsConnectVersion``). A client that learns the
    /// version late may set it, on the channel's event loop.
    public var protocolVersion: MQTTProtocolVersion

    public init(configuration: Configuration = Configuration()) {
        protocolVersion = configuration.protocolVersion
        awaitingConnectVersion = configuration.adoptsConnectVersion
        maximumPacketSize = configuration.maximumPacketSize
        connection = configuration.connection
        tap = configuration.tap
        clock = configuration.clock
        if let limit = configuration.admission?.maximumConnectSize {
            admission = .awaitingConnect(limit: min(limit, configuration.maximumPacketSize))
        } else {
            admission = .admitted
        }
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !hasFailed else { return }
        var buffer = unwrapInboundIn(data)
        if var pending = cumulation {
            cumulation = nil
            pending.writeBuffer(&buffer)
            buffer = pending
        }
        decodeBuffered(buffer, context: context)
    }

    /// Decodes what `buffer` holds as far as the admission state allows, and keeps the rest.
    private func decodeBuffered(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        var buffer = buffer
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

    /// The largest packet the next decode may take, or `nil` when nothing may be decoded now.
    private var currentLimit: Int? {
        switch admission {
        case .awaitingConnect(let limit): limit
        case .awaitingAcceptance: nil
        case .admitted: maximumPacketSize
        }
    }

    /// A packet went up: a server's codec now waits for the answer to its CONNECT, and one
    /// that adopts the CONNECT's version takes it.
    private func passedUpPacket(_ packet: MQTTPacket) {
        if case .awaitingConnect(let limit) = admission { admission = .awaitingAcceptance(limit: limit) }
        if awaitingConnectVersion {
            awaitingConnectVersion = false
            if MQTTProtocolVersion(adoptedFrom: packet) == .v5 { protocolVersion = .v5 }
        }
    }

    /// The version the next packet in `buffer` is decoded in: while a CONNECT may still set it,
    /// a CONNECT is read as MQTT 5.0 reads it (its decoder reads CONNECTs of every level) and
    /// any other first packet in the configured version.
    private func decodingVersion(of buffer: ByteBuffer) -> MQTTProtocolVersion {
        guard awaitingConnectVersion else { return protocolVersion }
        return .decodingFirstPacket(startingWith: buffer.getInteger(at: buffer.readerIndex, as: UInt8.self), otherwise: protocolVersion)
    }

    public func read(context: ChannelHandlerContext) {
        // After malformed input nothing more is read: the connection is about to be closed,
        // and whatever the peer still sends stays in the network instead of being read (and,
        // under TLS, decrypted) for nothing.
        if hasFailed {
            heldRead = true
            return
        }
        // While a connection waits for acceptance, more than its CONNECT's worth of bytes is
        // not read from the socket: the client's sends then wait in the network.
        if case .awaitingAcceptance(let limit) = admission, bufferedByteCount >= limit {
            heldRead = true
            return
        }
        context.read()
    }

    /// Called for every packet written: a CONNACK accepting the connection admits it.
    private func admitIfAccepted(_ packet: MQTTPacket, context: ChannelHandlerContext) {
        guard case .awaitingAcceptance = admission, case .connack(let connack) = packet, connack.isAccepted else { return }
        admission = .admitted
        // Decode what waited, after this write has gone down the pipeline.
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (handler, context) = bound.value
            if let pending = handler.cumulation, !handler.hasFailed {
                handler.cumulation = nil
                handler.decodeBuffered(pending, context: context)
            }
            if handler.heldRead {
                handler.heldRead = false
                context.read()
            }
        }
    }

    /// Decodes and passes on every whole packet in `buffer`, recording each for `tap`.
    private func decodePackets<Tap: PacketTap>(from buffer: inout ByteBuffer, context: ChannelHandlerContext, tap: Tap) throws(MQTTDecodingError) {
        var stamp: UInt64?
        while !hasFailed, let limit = currentLimit {
            let start = buffer.readerIndex
            guard let packet = try MQTTPacket.decode(from: &buffer, version: decodingVersion(of: buffer), maximumPacketSize: limit) else { return }
            passedUpPacket(packet)
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
        while !hasFailed, let limit = currentLimit {
            guard let packet = try MQTTPacket.decode(from: &buffer, version: decodingVersion(of: buffer), maximumPacketSize: limit) else { return }
            passedUpPacket(packet)
            context.fireChannelRead(wrapInboundOut(consume packet))
        }
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let packet = unwrapOutboundIn(data)
        let buffer: ByteBuffer
        do {
            buffer = try packet.encoded(version: protocolVersion, allocator: context.channel.allocator)
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
        admitIfAccepted(packet, context: context)
    }

    /// Bytes received but not yet a whole packet (for diagnostics at close). After a decoding
    /// error nothing is kept.
    public var bufferedByteCount: Int { cumulation?.readableBytes ?? 0 }
}

@available(*, unavailable)
extension MQTTCodecHandler: Sendable {}
