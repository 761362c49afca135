import HarnessTestSupport
import MQTTCore
import NIOCore
import NIOTestUtils
import Testing

/// The decoder gives the same packets for any split of its input.
@Suite struct DecoderFragmentationTests {
    @Test("byte-by-byte, coalesced and shuffled input (swift-nio's decoder verifier)")
    func verifier() throws {
        let pairs: [(ByteBuffer, [MQTTPacket])] = [
            (Hex.buffer(SeedPacketTests.connectBytes), [SeedPacketTests.connect]),
            (Hex.buffer("20020000 9003000100"), [.connack(ConnAckPacket(returnCode: .accepted)), .suback(SubAckPacket(packetID: 1, returnCodes: [.granted(.atMostOnce)]))]),
            (Hex.buffer("3007000361 2f 62 6f6e c000 d000"), [.publish(PublishPacket(topic: topicName("a/b"), payload: ByteBuffer(string: "on"))), .pingreq, .pingresp]),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { MQTTPacketDecoder() }
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
