import HarnessTestSupport
import MQTTCore
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

/// The codec handler in a pipeline: decoding, encoding and the packet tap.
@Suite struct CodecHandlerTests {
    final class RecordingTap: PacketTap {
        let records = Mutex<[PacketRecord]>([])
        func record(_ record: PacketRecord) { records.withLock { $0.append(record) } }
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
        let records = tap.records.withLock { $0 }
        #expect(records.map(\.packet.type) == [.connack, .suback, .pingreq])
        #expect(records.map(\.direction) == [.inbound, .inbound, .outbound])
        #expect(records.map(\.size) == [4, 5, 2])
        #expect(records.map(\.timestamp) == [100, 150, 150])
        #expect(records.allSatisfy { $0.connection == 7 })
        #expect(try channel.finish().isClean)
    }

    @Test("malformed input fires the error once and stops decoding")
    func malformed() throws {
        let channel = EmbeddedChannel(handler: MQTTCodecHandler())
        #expect(throws: MQTTDecodingError.invalidFixedHeaderFlags(.pingreq, flags: 1)) {
            try channel.writeInbound(Hex.buffer("c100"))
        }
        try channel.writeInbound(Hex.buffer("c000"))
        #expect(try channel.readInbound(as: MQTTPacket.self) == nil)
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
