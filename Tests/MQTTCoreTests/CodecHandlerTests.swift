import HarnessTestSupport
import MQTTCore
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

/// The codec handler in a pipeline: decoding, encoding, limits and the packet tap.
@Suite struct CodecHandlerTests {
    final class RecordingTap: PacketTap {
        let records = Mutex<[PacketRecord]>([])
        func record(_ record: PacketRecord) { records.withLock { $0.append(record) } }
        var all: [PacketRecord] { records.withLock { $0 } }
    }

    @Test("decodes coalesced and split input, encodes output, and stamps both for the tap")
    func pipeline() throws {
        let tap = RecordingTap()
        let clock = ManualMonotonicClock(start: 100)
        let channel = EmbeddedChannel(handler: MQTTCodecHandler(configuration: .init(connection: 7, tap: tap, clock: clock)))
        try channel.writeInbound(Hex.buffer("20020000 90"))
        clock.advance(by: .nanoseconds(50))
        try channel.writeInbound(Hex.buffer("03000100"))
        #expect(try channel.readInbound(as: MQTTPacket.self) == .connack(ConnAckPacket(returnCode: .accepted)))
        #expect(try channel.readInbound(as: MQTTPacket.self) == .suback(SubAckPacket(packetID: 1, returnCodes: [.granted(.atMostOnce)])))
        try channel.writeOutbound(MQTTPacket.pingreq)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == Hex.buffer("c000"))
        let records = tap.all
        #expect(records.map(\.packet.type) == [.connack, .suback, .pingreq])
        #expect(records.map(\.direction) == [.inbound, .inbound, .outbound])
        #expect(records.map(\.size) == [4, 5, 2])
        #expect(records.map(\.timestamp) == [100, 150, 150])
        #expect(records.allSatisfy { $0.connection == 7 })
        #expect(try channel.finish().isClean)
    }

    @Test("packets completed by one read share its stamp; the record carries the whole packet")
    func stampPerRead() throws {
        let tap = RecordingTap()
        let clock = ManualMonotonicClock(start: 1_000)
        let handler = MQTTCodecHandler(configuration: .init(tap: tap, clock: clock))
        let channel = EmbeddedChannel(handler: handler)
        try channel.writeInbound(Hex.buffer("3007000361 2f 62 6f6e 40020005 d000 32"))
        #expect(handler.bufferedByteCount == 1)
        clock.advance(by: .microseconds(3))
        try channel.writeInbound(Hex.buffer("07 0001 74 0009 6869"))
        let records = tap.all
        #expect(records.map(\.timestamp) == [1_000, 1_000, 1_000, 4_000])
        #expect(records.map(\.size) == [9, 4, 2, 9])
        #expect(records.first?.packet.summary == "qos=0 topic=a/b payload=\"on\"")
        #expect(records.last?.packet.summary == "id=9 qos=1 topic=t payload=\"hi\"")
        for record in records { #expect(try channel.readInbound(as: MQTTPacket.self) == record.packet) }
        #expect(handler.bufferedByteCount == 0)
    }

    @Test("malformed input fires the error once and stops decoding")
    func malformed() throws {
        let tap = RecordingTap()
        let channel = EmbeddedChannel(handler: MQTTCodecHandler(configuration: .init(tap: tap)))
        #expect(throws: MQTTDecodingError.invalidFixedHeaderFlags(.pingreq, flags: 1)) {
            try channel.writeInbound(Hex.buffer("d000 c100"))
        }
        try channel.writeInbound(Hex.buffer("c000"))
        #expect(try channel.readInbound(as: MQTTPacket.self) == .pingresp)
        #expect(try channel.readInbound(as: MQTTPacket.self) == nil)
        #expect(tap.all.map(\.packet) == [.pingresp])
    }

    @Test("an oversized packet is refused from its fixed header, before its body is buffered")
    func maximumPacketSize() throws {
        let handler = MQTTCodecHandler(configuration: .init(maximumPacketSize: 1024))
        let channel = EmbeddedChannel(handler: handler)
        // The first two bytes of a fixed header announcing 1,000,000 bytes: not yet decidable.
        try channel.writeInbound(Hex.buffer("30c0"))
        #expect(handler.bufferedByteCount == 2)
        // The third byte completes the remaining length: refused at once.
        #expect(throws: MQTTDecodingError.packetTooLarge(size: 1_000_004, limit: 1024)) {
            try channel.writeInbound(Hex.buffer("843d"))
        }
        #expect(handler.bufferedByteCount == 0)
        // Whatever follows is dropped, not buffered.
        try channel.writeInbound(ByteBuffer(repeating: 0x61, count: 4096))
        #expect(handler.bufferedByteCount == 0)
        #expect(try channel.readInbound(as: MQTTPacket.self) == nil)
    }

    @Test("a packet exactly at the limit passes; its body is buffered until it is whole")
    func atTheLimit() throws {
        let handler = MQTTCodecHandler(configuration: .init(maximumPacketSize: 1024))
        let channel = EmbeddedChannel(handler: handler)
        let packet = MQTTPacket.publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(repeating: 0x62, count: 1024 - 3 - 3)))
        var bytes = try packet.encoded()
        #expect(bytes.readableBytes == 1024)
        let head = bytes.readSlice(length: 600) ?? ByteBuffer()
        try channel.writeInbound(head)
        #expect(handler.bufferedByteCount == 600)
        try channel.writeInbound(bytes)
        #expect(try channel.readInbound(as: MQTTPacket.self) == packet)
        #expect(handler.bufferedByteCount == 0)
    }

    @Test("a packet that cannot be encoded fails the write and is not recorded")
    func encodingFailure() throws {
        let tap = RecordingTap()
        let channel = EmbeddedChannel(handler: MQTTCodecHandler(configuration: .init(tap: tap)))
        #expect(throws: MQTTEncodingError.malformed(.zeroPacketIdentifier(.puback))) {
            try channel.writeOutbound(MQTTPacket.puback(packetID: 0))
        }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(tap.all.isEmpty)
    }
}

@Suite struct CodecHandlerBytesTests {
    @Test("records carry each packet's exact bytes, for coalesced input too")
    func bytes() throws {
        let tap = CodecHandlerTests.RecordingTap()
        let channel = EmbeddedChannel(handler: MQTTCodecHandler(configuration: .init(tap: tap)))
        try channel.writeInbound(Hex.buffer("20020000 9003000100 d0"))
        try channel.writeInbound(Hex.buffer("00"))
        let records = tap.records.withLock { $0 }
        #expect(records.map { Hex.string($0.bytes.readableBytesView) } == ["20020000", "9003000100", "d000"])
        try channel.writeOutbound(MQTTPacket.pingreq)
        #expect(tap.records.withLock { $0 }.last.map { Hex.string($0.bytes.readableBytesView) } == "c000")
    }
}
