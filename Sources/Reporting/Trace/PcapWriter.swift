import Foundation

/// One application-level chunk of a TCP stream for ``PcapWriter``.
public struct PcapSegment: Sendable, Hashable {
    /// When it crossed the wire.
    public var timestamp: Date
    /// Which connection: each distinct value becomes its own TCP stream.
    public var stream: Int
    /// `true` from the client (device) to the server (hub, port 1883).
    public var fromClient: Bool
    /// The bytes carried (an MQTT packet).
    public var payload: [UInt8]

    public init(timestamp: Date, stream: Int, fromClient: Bool, payload: [UInt8]) {
        self.timestamp = timestamp
        self.stream = stream
        self.fromClient = fromClient
        self.payload = payload
    }
}

/// Writes a classic pcap file (Ethernet link type) whose frames carry given bytes inside
/// synthetic IPv4/TCP headers on server port 1883, so Wireshark and tshark decode them as
/// MQTT. Each stream opens with a SYN handshake and keeps real sequence and acknowledgement
/// numbers so the analysers reassemble it.
public enum PcapWriter {
    static let serverPort: UInt16 = 1883
    static let maximumSegment = 60_000

    public static func render(_ segments: [PcapSegment]) -> [UInt8] {
        var file: [UInt8] = []
        // Global header: magic, version 2.4, zone 0, sigfigs 0, snaplen 262144, Ethernet.
        file.append(le32: 0xa1b2_c3d4)
        file.append(le16: 2)
        file.append(le16: 4)
        file.append(le32: 0)
        file.append(le32: 0)
        file.append(le32: 262_144)
        file.append(le32: 1)
        var streams: [Int: Stream] = [:]
        for segment in segments.sorted(by: { $0.timestamp < $1.timestamp }) {
            var stream = streams[segment.stream] ?? Stream(index: segment.stream)
            if !stream.isOpen {
                stream.isOpen = true
                // Handshake a microsecond before the first data.
                let time = segment.timestamp.addingTimeInterval(-0.000_001)
                write(&file, time: time, stream: &stream, fromClient: true, flags: 0x02, payload: [])
                write(&file, time: time, stream: &stream, fromClient: false, flags: 0x12, payload: [])
                write(&file, time: time, stream: &stream, fromClient: true, flags: 0x10, payload: [])
            }
            var offset = 0
            repeat {
                let end = min(segment.payload.count, offset + maximumSegment)
                write(&file, time: segment.timestamp, stream: &stream, fromClient: segment.fromClient, flags: 0x18, payload: Array(segment.payload[offset..<end]))
                offset = end
            } while offset < segment.payload.count
            streams[segment.stream] = stream
        }
        return file
    }

    struct Stream {
        var index: Int
        var isOpen = false
        var clientSequence: UInt32 = 1000
        var serverSequence: UInt32 = 5000

        var clientPort: UInt16 { UInt16(40_000 + index % 20_000) }
    }

    private static func write(_ file: inout [UInt8], time: Date, stream: inout Stream, fromClient: Bool, flags: UInt8, payload: [UInt8]) {
        let clientIP: [UInt8] = [10, 0, 0, 2]
        let serverIP: [UInt8] = [10, 0, 0, 1]
        let (sourceIP, destinationIP) = fromClient ? (clientIP, serverIP) : (serverIP, clientIP)
        let (sourcePort, destinationPort) = fromClient ? (stream.clientPort, serverPort) : (serverPort, stream.clientPort)
        let sequence = fromClient ? stream.clientSequence : stream.serverSequence
        let acknowledgement = flags == 0x02 ? 0 : (fromClient ? stream.serverSequence : stream.clientSequence)

        var tcp: [UInt8] = []
        tcp.append(be16: sourcePort)
        tcp.append(be16: destinationPort)
        tcp.append(be32: sequence)
        tcp.append(be32: acknowledgement)
        tcp.append(0x50)  // header length 20 bytes
        tcp.append(flags)
        tcp.append(be16: 65_535)  // window
        tcp.append(be16: 0)  // checksum, filled below
        tcp.append(be16: 0)  // urgent pointer
        tcp += payload
        var pseudo = sourceIP + destinationIP + [0, 6]
        pseudo.append(be16: UInt16(tcp.count))
        let tcpChecksum = checksum(pseudo + tcp)
        tcp[16] = UInt8(tcpChecksum >> 8)
        tcp[17] = UInt8(tcpChecksum & 0xFF)

        var ip: [UInt8] = [0x45, 0]
        ip.append(be16: UInt16(20 + tcp.count))
        ip.append(be16: 0)  // identification
        ip.append(be16: 0x4000)  // don't fragment
        ip += [64, 6, 0, 0]  // TTL, TCP, checksum placeholder
        ip += sourceIP + destinationIP
        let ipChecksum = checksum(ip)
        ip[10] = UInt8(ipChecksum >> 8)
        ip[11] = UInt8(ipChecksum & 0xFF)

        let clientMAC: [UInt8] = [0x02, 0, 0, 0, 0, 0x02]
        let serverMAC: [UInt8] = [0x02, 0, 0, 0, 0, 0x01]
        let frame = (fromClient ? serverMAC + clientMAC : clientMAC + serverMAC) + [0x08, 0x00] + ip + tcp

        let seconds = time.timeIntervalSince1970
        let whole = UInt32(max(0, seconds.rounded(.down)))
        let micros = UInt32(max(0, (seconds - seconds.rounded(.down)) * 1_000_000))
        file.append(le32: whole)
        file.append(le32: min(micros, 999_999))
        file.append(le32: UInt32(frame.count))
        file.append(le32: UInt32(frame.count))
        file += frame

        let advance = UInt32(payload.count) + (flags & 0x02 != 0 ? 1 : 0)
        if fromClient { stream.clientSequence &+= advance } else { stream.serverSequence &+= advance }
    }

    /// The Internet checksum (RFC 1071).
    static func checksum(_ bytes: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index + 1 < bytes.count {
            sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.count { sum += UInt32(bytes[index]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }
}

extension [UInt8] {
    fileprivate mutating func append(le16 value: UInt16) { append(contentsOf: [UInt8(value & 0xFF), UInt8(value >> 8)]) }
    fileprivate mutating func append(le32 value: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { append(UInt8((value >> UInt32(shift)) & 0xFF)) } }
    fileprivate mutating func append(be16 value: UInt16) { append(contentsOf: [UInt8(value >> 8), UInt8(value & 0xFF)]) }
    fileprivate mutating func append(be32 value: UInt32) { for shift in stride(from: 24, through: 0, by: -8) { append(UInt8((value >> UInt32(shift)) & 0xFF)) } }
}
