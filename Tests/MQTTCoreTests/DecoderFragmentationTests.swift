import HarnessTestSupport
import MQTTCore
import NIOCore
import NIOTestUtils
import Testing

/// The decoder gives the same packets for any split of its input.
@Suite struct DecoderFragmentationTests {
    @Test("every vector, alone and all coalesced: byte-by-byte, coalesced and shuffled (swift-nio's decoder verifier)")
    func verifier() throws {
        var pairs: [(ByteBuffer, [MQTTPacket])] = PacketVectorTests.vectors.map { (Hex.buffer($0.hex), [$0.packet]) }
        pairs.append((Hex.buffer(SeedPacketTests.connectBytes), [SeedPacketTests.connect]))
        var all = ByteBuffer()
        for vector in PacketVectorTests.vectors { all.writeBytes(Hex.bytes(vector.hex)) }
        pairs.append((all, PacketVectorTests.vectors.map(\.packet)))
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { MQTTPacketDecoder() }
    }

    @Test("a large packet with a four-byte remaining length, split anywhere")
    func largePacket() throws {
        let packet = MQTTPacket.publish(
            PublishPacket(topic: topicName("big"), payload: ByteBuffer(repeating: 0x5A, count: 2_100_000), qos: .atLeastOnce, packetID: 77)
        )
        let bytes = try packet.encoded()
        // Four remaining-length bytes: continuation bits on the first three only.
        #expect(bytes.getInteger(at: 3, as: UInt8.self).map { $0 & 0x80 != 0 } == true)
        #expect(bytes.getInteger(at: 4, as: UInt8.self).map { $0 & 0x80 == 0 } == true)
        for split in [1, 2, 3, 4, 5, 6, 7, 1000, bytes.readableBytes - 1] {
            var decoder = MQTTPacketDecoder()
            var pending = bytes.getSlice(at: 0, length: split) ?? ByteBuffer()
            #expect(try decoder.decode(buffer: &pending) == nil)
            #expect(pending.readableBytes == split, "a partial packet is left untouched")
            var rest = bytes.getSlice(at: split, length: bytes.readableBytes - split) ?? ByteBuffer()
            pending.writeBuffer(&rest)
            #expect(try decoder.decode(buffer: &pending) == packet)
        }
    }

    @Test("random chunking of many coalesced packets", arguments: [1, 2, 3, 7, 64])
    func randomChunks(chunkSize: Int) throws {
        var stream = ByteBuffer()
        var expected: [MQTTPacket] = []
        for index in 0..<50 {
            let packet = MQTTPacket.publish(
                PublishPacket(topic: try TopicName("t/\(index)"), payload: ByteBuffer(string: String(repeating: "x", count: index * 7)), qos: .atLeastOnce, packetID: UInt16(index + 1))
            )
            try packet.encode(into: &stream)
            expected.append(packet)
        }
        var decoder = MQTTPacketDecoder()
        var pending = ByteBuffer()
        var decoded: [MQTTPacket] = []
        while stream.readableBytes > 0 {
            var chunk = stream.readSlice(length: min(chunkSize, stream.readableBytes)) ?? ByteBuffer()
            pending.writeBuffer(&chunk)
            while let packet = try decoder.decode(buffer: &pending) { decoded.append(packet) }
        }
        #expect(decoded == expected)
    }
}
