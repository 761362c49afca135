import MQTTCore

/// The MQTT 5.0 parts of a packet expectation: reason codes, properties (a subset match) and
/// CONNACK's Session Present, with what the packet had when they differ.
extension SubjectMatcher {
    /// What `packet` has that `matcher`'s reason, reasons, properties or session present do
    /// not allow, as `CONNACK arrived with reason bad_user_name_or_password (0x86), expected
    /// not_authorized (0x87)`; `nil` when they hold. Peer text is escaped.
    static func mqtt5Mismatch(_ matcher: PacketMatcher, _ packet: MQTTPacket) -> String? {
        let problems = mqtt5Problems(matcher, packet)
        guard !problems.isEmpty else { return nil }
        return "\(packet.type) arrived " + problems.joined(separator: "; ")
    }

    /// Each difference ``mqtt5Mismatch(_:_:)`` names: `with reason success (0x00), expected
    /// not_authorized (0x87)`, `without user "k"="v" (absent)`.
    static func mqtt5Problems(_ matcher: PacketMatcher, _ packet: MQTTPacket) -> [String] {
        var problems: [String] = []
        let type = packet.type
        let codes = reasonCodes(of: packet)
        if let reason = matcher.reason, codes.isEmpty || codes.contains(where: { $0 != reason }) {
            problems.append("with \(describe(codes, in: type)), expected \(describe(reason, in: type))")
        }
        if let reasons = matcher.reasons, codes != reasons {
            problems.append("with \(describe(codes, in: type)), expected reasons [\(reasons.map { describe($0, in: type) }.joined(separator: ", "))]")
        }
        if let sessionPresent = matcher.sessionPresent, case .connack(let connack) = packet, connack.sessionPresent != sessionPresent {
            problems.append("with session_present=\(connack.sessionPresent), expected \(sessionPresent)")
        }
        if let properties = matcher.properties {
            let misses = properties.misses(in: packet.properties)
            if !misses.isEmpty { problems.append("without \(misses.joined(separator: ", "))") }
        }
        return problems
    }

    /// Whether a packet that differs from `matcher` decides the expectation: the one CONNACK
    /// that answers a CONNECT, and the broker's DISCONNECT, which ends the connection. Other
    /// packets (PUBLISH, acknowledgements) may be followed by the one expected.
    static func isDecisive(_ matcher: PacketMatcher) -> Bool {
        matcher.type == .connack || (matcher.type == .disconnect && matcher.flow == .toDevice)
    }

    /// The packet's reason codes: one for CONNACK, the acknowledgements, DISCONNECT and
    /// AUTH; one per topic filter for SUBACK and UNSUBACK (none in a 3.1.1 UNSUBACK).
    static func reasonCodes(of packet: MQTTPacket) -> [MQTTReasonCode] {
        switch packet {
        case .connack(let connack): [connack.reasonCode]
        case .puback(let ack), .pubrec(let ack), .pubrel(let ack), .pubcomp(let ack): [ack.reasonCode]
        case .suback(let suback): suback.reasonCodes
        case .unsuback(let unsuback): unsuback.reasonCodes
        case .disconnect(let disconnect): [disconnect.reasonCode]
        case .auth(let auth): [auth.reasonCode]
        case .connect, .publish, .subscribe, .unsubscribe, .pingreq, .pingresp: []
        }
    }

    /// `not_authorized (0x87)`, with the name the packet gives the code.
    static func describe(_ code: MQTTReasonCode, in type: MQTTPacketType) -> String {
        let digits = String(code.rawValue, radix: 16, uppercase: true)
        return "\(code.name(in: type)) (0x\(code.rawValue < 16 ? "0" : "")\(digits))"
    }

    private static func describe(_ codes: [MQTTReasonCode], in type: MQTTPacketType) -> String {
        switch codes.count {
        case 0: "no reason code"
        case 1: "reason \(describe(codes[0], in: type))"
        default: "reasons [\(codes.map { describe($0, in: type) }.joined(separator: ", "))]"
        }
    }
}
