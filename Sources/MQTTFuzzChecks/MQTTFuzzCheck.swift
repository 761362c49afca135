import MQTTCore
import NIOCore

/// The properties the MQTT codec must have for any input whatever, checked on one input.
///
/// The libFuzzer target (`MQTTFuzzer`) runs this on every input it generates and crashes on a
/// violation; the tests run it on the committed corpus. For bytes `input`, decoded once as
/// MQTT 3.1.1 and once as MQTT 5.0 (each with its own encoder):
/// 1. decoding never crashes or hangs: it yields packets until it needs more bytes or throws
///    an ``MQTTDecodingError`` whose message names a rule;
/// 2. every decoded packet encodes, decodes back to an equal packet, and encodes canonically
///    (the same bytes again);
/// 3. feeding the input to the streaming decoder in two pieces, split anywhere, gives the same
///    packets and the same error;
/// 4. a packet size limit is never exceeded: with a limit taken from the input, no decoded
///    packet is larger, and a refused one announced more;
/// 5. every decoded topic name or filter passes the public validation, and matching and
///    summaries work on them;
/// 6. MQTT 5.0 properties read back as typed values rebuild the same properties, and an error
///    of the 5.0 decoder names MQTT 5.0's rules.
public enum MQTTFuzzCheck {
    /// What went wrong, or `nil` when `input` keeps every property.
    public static func violation(in input: UnsafeRawBufferPointer) -> String? {
        let bytes = ByteBuffer(bytes: input)
        for version in MQTTProtocolVersion.allCases {
            if let problem = violation(in: bytes, version: version) { return "MQTT \(version): \(problem)" }
        }
        return nil
    }

    /// What went wrong decoding `bytes` as `version`, or `nil`.
    static func violation(in bytes: ByteBuffer, version: MQTTProtocolVersion) -> String? {
        let whole = decodeAll(bytes, version: version, maximumPacketSize: MQTTPacket.maximumSize)
        for (packet, size) in whole.packets {
            if let problem = roundTripViolation(packet, size: size, version: version) { return problem }
            if let problem = topicViolation(packet) { return problem }
        }
        if let error = whole.error {
            let text = error.description
            guard text.hasSuffix("[\(error.reference)]"), !error.reason.isEmpty else { return "error message without its rule: \(text)" }
            // The 5.0 decoder's errors name 5.0's rules, except those of a 3.1.1 CONNECT.
            if version == .v311, error.protocolVersion == .v5 { return "the 3.1.1 decoder threw an MQTT 5.0 error: \(text)" }
        }
        if let problem = splitViolation(bytes, expected: whole, version: version) { return problem }
        return limitViolation(bytes, unlimited: whole, version: version)
    }

    /// The packets decoded from `buffer` in one go, their sizes, and the error that stopped
    /// decoding, if any.
    struct Decoded: Equatable {
        var packets: [(MQTTPacket, Int)] = []
        var error: MQTTDecodingError?

        static func == (lhs: Decoded, rhs: Decoded) -> Bool {
            lhs.error == rhs.error && lhs.packets.elementsEqual(rhs.packets) { $0.0 == $1.0 && $0.1 == $1.1 }
        }
    }

    static func decodeAll(_ input: ByteBuffer, version: MQTTProtocolVersion = .v311, maximumPacketSize: Int) -> Decoded {
        var buffer = input
        var result = Decoded()
        do {
            while true {
                let before = buffer.readableBytes
                guard let packet = try MQTTPacket.decode(from: &buffer, version: version, maximumPacketSize: maximumPacketSize) else { break }
                result.packets.append((packet, before - buffer.readableBytes))
            }
        } catch {
            result.error = error
        }
        return result
    }

    static func roundTripViolation(_ packet: MQTTPacket, size: Int, version: MQTTProtocolVersion = .v311) -> String? {
        let encoded: ByteBuffer
        do {
            encoded = try packet.encoded(version: version)
        } catch {
            return "decoded \(packet.type) does not encode: \(error)"
        }
        // A longer remaining-length encoding than needed decodes in 3.1.1, and re-encodes
        // shorter; in 5.0 the reason code and properties an acknowledgement, DISCONNECT or AUTH
        // may leave out are left out.
        guard encoded.readableBytes <= size, encoded.readableBytes >= size - 3 else {
            return "\(packet.type) of \(size) bytes re-encodes to \(encoded.readableBytes) bytes"
        }
        var again = encoded
        let decoded: MQTTPacket?
        do {
            decoded = try MQTTPacket.decode(from: &again, version: version)
        } catch {
            return "re-encoded \(packet.type) does not decode: \(error)"
        }
        guard let decoded, decoded == packet, again.readableBytes == 0 else {
            return "\(packet.type) does not round-trip: \(packet) became \(String(describing: decoded))"
        }
        do {
            guard try decoded.encoded(version: version) == encoded else { return "\(packet.type) encodes differently the second time" }
        } catch {
            return "\(packet.type) encodes once but not twice: \(error)"
        }
        _ = packet.summary
        return propertiesViolation(packet)
    }

    /// Properties read back as typed values rebuild the same properties.
    static func propertiesViolation(_ packet: MQTTPacket) -> String? {
        var lists = [packet.properties]
        if case .connect(let connect) = packet, let will = connect.will { lists.append(will.properties) }
        for properties in lists where !properties.isEmpty {
            let typed = Array(properties)
            guard let rebuilt = try? MQTTProperties(typed), rebuilt == properties else {
                return "\(packet.type) properties do not rebuild from their typed values: \(properties)"
            }
            _ = properties.summary
        }
        return nil
    }

    static func topicViolation(_ packet: MQTTPacket) -> String? {
        switch packet {
        case .publish(let publish) where publish.topic.string.isEmpty:
            // MQTT 5.0: a Topic Alias stands for the name.
            guard publish.properties.topicAlias != nil else { return "empty topic name without a Topic Alias decoded" }
        case .publish(let publish):
            guard (try? TopicName(publish.topic.string)) == publish.topic else { return "decoded topic '\(publish.topic)' fails validation" }
            for filter in ["#", "+", "+/#", publish.topic.string] {
                guard let filter = try? TopicFilter(filter) else { return "filter '\(filter)' is invalid" }
                let matches = filter.matches(publish.topic)
                let expected = !(publish.topic.isDollarTopic && filter.string.first.map { "+#".contains($0) } == true)
                if filter.string != "+", matches != expected { return "'\(filter)' matching '\(publish.topic)' gives \(matches)" }
            }
        case .connect(let connect):
            if let will = connect.will, (try? TopicName(will.topic.string)) != will.topic { return "decoded will topic fails validation" }
        case .subscribe(let subscribe):
            for subscription in subscribe.subscriptions where (try? TopicFilter(subscription.filter.string)) != subscription.filter {
                return "decoded filter '\(subscription.filter)' fails validation"
            }
        case .unsubscribe(let unsubscribe):
            for filter in unsubscribe.filters where (try? TopicFilter(filter.string)) != filter {
                return "decoded filter '\(filter)' fails validation"
            }
        default:
            break
        }
        return nil
    }

    /// Feeds the input to the streaming decoder in two pieces, split at a place the input
    /// itself chooses, and compares with decoding it whole.
    static func splitViolation(_ input: ByteBuffer, expected: Decoded, version: MQTTProtocolVersion = .v311) -> String? {
        guard input.readableBytes > 1 else { return nil }
        let last = input.getInteger(at: input.writerIndex - 1, as: UInt8.self) ?? 0
        let split = Int(last) % input.readableBytes
        var decoder = MQTTPacketDecoder(version: version)
        var pending = input.getSlice(at: input.readerIndex, length: split) ?? ByteBuffer()
        var result = Decoded()
        var fedRest = false
        do {
            while true {
                let before = pending.readableBytes
                if let packet = try decoder.decode(buffer: &pending) {
                    result.packets.append((packet, before - pending.readableBytes))
                    continue
                }
                if fedRest { break }
                var rest = input.getSlice(at: input.readerIndex + split, length: input.readableBytes - split) ?? ByteBuffer()
                pending.writeBuffer(&rest)
                fedRest = true
            }
        } catch let error as MQTTDecodingError {
            result.error = error
        } catch {
            return "the streaming decoder threw a foreign error: \(error)"
        }
        return result == expected ? nil : "split at \(split) decodes differently"
    }

    /// Decodes again with a packet size limit taken from the input's first byte.
    static func limitViolation(_ input: ByteBuffer, unlimited: Decoded, version: MQTTProtocolVersion = .v311) -> String? {
        let limit = 2 + Int(input.getInteger(at: input.readerIndex, as: UInt8.self) ?? 0)
        let limited = decodeAll(input, version: version, maximumPacketSize: limit)
        for (packet, size) in limited.packets where size > limit {
            return "\(packet.type) of \(size) bytes passed a limit of \(limit)"
        }
        // Up to the first refusal, the limited decode sees what the unlimited one does.
        let count = limited.packets.count
        guard count <= unlimited.packets.count,
            zip(limited.packets, unlimited.packets).allSatisfy({ $0.0 == $1.0 && $0.1 == $1.1 })
        else { return "a limit changes the packets decoded" }
        var refusal = limited.error
        if case .mqtt5(let inner)? = refusal { refusal = inner }
        if case .packetTooLarge(let size, _)? = refusal, size <= limit { return "refused \(size) bytes under a limit of \(limit)" }
        return nil
    }
}
