import Foundation
import Reporting
import Testing

@Suite struct PcapWriterTests {
    func uint32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    @Test("classic pcap header, a handshake per stream, then one frame per segment with IPv4/TCP to port 1883")
    func layout() {
        let start = Date(timeIntervalSince1970: 1_800_000_000.25)
        let bytes = PcapWriter.render([
            PcapSegment(timestamp: start, stream: 0, fromClient: true, payload: [0xC0, 0x00]),
            PcapSegment(timestamp: start.addingTimeInterval(0.001), stream: 0, fromClient: false, payload: [0xD0, 0x00]),
        ])
        #expect(uint32(bytes, 0) == 0xa1b2_c3d4)
        #expect(uint32(bytes, 20) == 1)  // Ethernet
        // 24-byte header, then 3 handshake frames and 2 data frames of 14 + 20 + 20 (+ payload) bytes.
        var offset = 24
        var frames: [[UInt8]] = []
        while offset < bytes.count {
            let length = Int(uint32(bytes, offset + 8))
            frames.append(Array(bytes[(offset + 16)..<(offset + 16 + length)]))
            offset += 16 + length
        }
        #expect(frames.count == 5)
        #expect(frames.map { $0[14 + 20 + 13] } == [0x02, 0x12, 0x10, 0x18, 0x18])  // SYN, SYN/ACK, ACK, PSH/ACK
        let first = frames[3]
        #expect(first[12] == 0x08 && first[13] == 0x00)  // IPv4
        #expect(first[14 + 9] == 6)  // TCP
        #expect(UInt16(first[14 + 22]) << 8 | UInt16(first[14 + 23]) == 1883)  // destination port
        #expect(Array(first.suffix(2)) == [0xC0, 0x00])
        let reply = frames[4]
        #expect(UInt16(reply[14 + 20]) << 8 | UInt16(reply[14 + 21]) == 1883)  // source port
        // The reply acknowledges the client's data: its ack number is the client's next sequence.
        func be32(_ frame: [UInt8], _ at: Int) -> UInt32 { frame[at...(at + 3)].reduce(0) { $0 << 8 | UInt32($1) } }
        #expect(be32(reply, 14 + 28) == be32(first, 14 + 24) + 2)
        // Checksums verify: the one's-complement sum over the IP header is 0xFFFF.
        var sum: UInt32 = 0
        for index in stride(from: 14, to: 34, by: 2) { sum += UInt32(first[index]) << 8 | UInt32(first[index + 1]) }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        #expect(sum == 0xFFFF)
    }

    @Test("large payloads are split into several segments")
    func largePayload() {
        let bytes = PcapWriter.render([PcapSegment(timestamp: Date(), stream: 1, fromClient: true, payload: [UInt8](repeating: 7, count: 150_000))])
        var offset = 24
        var dataFrames = 0
        while offset < bytes.count {
            let length = Int(uint32(bytes, offset + 8))
            if length > 54 { dataFrames += 1 }
            offset += 16 + length
        }
        #expect(dataFrames == 3)
    }

    @Test("secrets are overwritten in place, keeping lengths")
    func byteRedaction() {
        let redactor = SecretRedactor(secrets: ["KEYVALUE123"])
        let input = Array("x sig=abc%3D&se=1 KEYVALUE123 y".utf8)
        let output = redactor.redact(bytes: input)
        #expect(output.count == input.count)
        #expect(String(decoding: output, as: UTF8.self) == "x sig=******&se=1 *********** y")
    }
}
