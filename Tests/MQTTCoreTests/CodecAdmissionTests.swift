import HarnessTestSupport
import MQTTCore
import NIOCore
import NIOEmbedded
import Testing

/// A server's codec holds a connection to its CONNECT until a CONNACK accepts it.
@Suite struct CodecAdmissionTests {
    /// Counts the reads that reach the socket end of the pipeline.
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = Any
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    static let connect = MQTTPacket.connect(ConnectPacket(clientID: "d", keepAlive: 60, username: "u", password: ByteBuffer(string: "p")))

    static func publish(_ size: Int, id: UInt16) -> MQTTPacket {
        .publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(repeating: 0x61, count: size), qos: .atLeastOnce, packetID: id))
    }

    func channel(limit: Int = 1024) throws -> (EmbeddedChannel, MQTTCodecHandler, ReadCounter) {
        let counter = ReadCounter()
        let codec = MQTTCodecHandler(configuration: .init(maximumPacketSize: 1_000_000, admission: .init(maximumConnectSize: limit)))
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(codec)
        return (channel, codec, counter)
    }

    @Test("a first packet above the CONNECT limit is refused from its fixed header")
    func connectLimit() throws {
        let (channel, codec, _) = try channel(limit: 1024)
        #expect(throws: MQTTDecodingError.packetTooLarge(size: 266_240, limit: 1024)) {
            // A CONNECT announcing 266,236 bytes: 0x10, remaining length 0xFC 0x9F 0x10.
            try channel.writeInbound(Hex.buffer("10 fc9f10 0004 4d515454"))
        }
        #expect(codec.bufferedByteCount == 0)
    }

    @Test("packets pipelined behind the CONNECT wait, undecoded, until a CONNACK accepts it; then they go up in order")
    func heldUntilAccepted() throws {
        let (channel, codec, _) = try channel()
        var bytes = try Self.connect.encoded()
        var first = try Self.publish(5000, id: 1).encoded()
        var second = try MQTTPacket.pingreq.encoded()
        bytes.writeBuffer(&first)
        bytes.writeBuffer(&second)
        try channel.writeInbound(bytes)
        #expect(try channel.readInbound(as: MQTTPacket.self) == Self.connect)
        #expect(try channel.readInbound(as: MQTTPacket.self) == nil)
        #expect(codec.bufferedByteCount > 5000)
        // A larger packet than the CONNECT limit is fine once admitted.
        try channel.writeOutbound(MQTTPacket.connack(ConnAckPacket(returnCode: .accepted)))
        channel.embeddedEventLoop.run()
        #expect(try channel.readInbound(as: MQTTPacket.self) == Self.publish(5000, id: 1))
        #expect(try channel.readInbound(as: MQTTPacket.self) == .pingreq)
        #expect(codec.bufferedByteCount == 0)
    }

    @Test("after a refusing CONNACK nothing more is decoded")
    func refusedStaysHeld() throws {
        let (channel, _, _) = try channel()
        var bytes = try Self.connect.encoded()
        var next = try MQTTPacket.pingreq.encoded()
        bytes.writeBuffer(&next)
        try channel.writeInbound(bytes)
        #expect(try channel.readInbound(as: MQTTPacket.self) == Self.connect)
        try channel.writeOutbound(MQTTPacket.connack(ConnAckPacket(returnCode: .notAuthorized)))
        channel.embeddedEventLoop.run()
        #expect(try channel.readInbound(as: MQTTPacket.self) == nil)
    }

    @Test("while waiting for acceptance, no more is read from the socket once the CONNECT's worth is buffered")
    func readsHeld() throws {
        let (channel, codec, counter) = try channel(limit: 1024)
        try channel.writeInbound(try Self.connect.encoded())
        _ = try channel.readInbound(as: MQTTPacket.self)
        channel.read()
        #expect(counter.reads == 1)
        // Under the limit: reads go on. (The start of a PUBLISH announcing 2,000 bytes.)
        var start = Hex.buffer("30 d00f")
        start.writeRepeatingByte(0x61, count: 597)
        try channel.writeInbound(start)
        channel.read()
        #expect(counter.reads == 2)
        // At the limit: the read is held back...
        try channel.writeInbound(ByteBuffer(repeating: 0x61, count: 600))
        #expect(codec.bufferedByteCount == 1200)
        channel.read()
        #expect(counter.reads == 2)
        // ... until the CONNACK accepts the connection.
        try channel.writeOutbound(MQTTPacket.connack(ConnAckPacket(returnCode: .accepted)))
        channel.embeddedEventLoop.run()
        #expect(counter.reads == 3)
    }

    @Test("the first packet need not be a CONNECT for the codec: the server decides what to do with it")
    func firstPacketAnyType() throws {
        let (channel, _, _) = try channel()
        try channel.writeInbound(try MQTTPacket.pingreq.encoded())
        #expect(try channel.readInbound(as: MQTTPacket.self) == .pingreq)
    }
}
