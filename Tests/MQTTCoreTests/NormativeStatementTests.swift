import Foundation
import HarnessTestSupport
import MQTTCore
import NIOCore
import Testing

/// One row per rule of MQTT 3.1.1 the decoder enforces: the normative statement (or, where the
/// standard gives the rule no identifier, its section), a byte vector that breaks it, and the
/// error the decoder must throw. The README lists the same rules.
@Suite struct NormativeStatementTests {
    struct Row: Sendable, CustomStringConvertible {
        var reference: String
        var hex: String
        var error: MQTTDecodingError
        var maximumPacketSize = MQTTPacket.maximumSize

        var description: String { reference }
    }

    /// A CONNECT body start: protocol name `MQTT`, level 4, then the given flags byte, keep
    /// alive 0 and an empty client identifier (`rest` follows).
    static func connect(flags: String, rest: String = "") -> String {
        let body = "00044d515454" + "04" + flags + "0000" + "0000" + rest.filter { !$0.isWhitespace }
        let length = body.count / 2
        return String(format: "10%02x", length) + body
    }

    static let rows: [Row] = [
        Row(reference: "MQTT-1.5.3-1", hex: "3005 0003 61ff62", error: .invalidUTF8(.publish, field: .topicName)),
        Row(reference: "MQTT-1.5.3-2", hex: "3005 0003 610062", error: .nullCharacter(.publish, field: .topicName)),
        Row(reference: "MQTT-2.2.2-1", hex: "c100", error: .invalidFixedHeaderFlags(.pingreq, flags: 1)),
        Row(reference: "MQTT-2.3.1-1", hex: "3205 0001 74 0000", error: .zeroPacketIdentifier(.publish)),
        Row(reference: "MQTT-2.3.1-6", hex: "40020000", error: .zeroPacketIdentifier(.puback)),
        Row(reference: "MQTT-2.3.1-7", hex: "b0020000", error: .zeroPacketIdentifier(.unsuback)),
        Row(reference: "MQTT-3.1.2-1", hex: "100c 00044d515455 04 02 0000 0000", error: .invalidProtocolName("MQTU")),
        Row(reference: "MQTT-3.1.2-3", hex: connect(flags: "03"), error: .reservedConnectFlagSet),
        Row(reference: "MQTT-3.1.2-9", hex: connect(flags: "06"), error: .truncated(.connect, field: .willTopic)),
        Row(reference: "MQTT-3.1.2-11", hex: connect(flags: "02", rest: "0000"), error: .unflaggedConnectField(.willTopic)),
        Row(reference: "MQTT-3.1.2-13", hex: connect(flags: "0a"), error: .willQoSWithoutWillFlag(1)),
        Row(reference: "MQTT-3.1.2-14", hex: connect(flags: "1e"), error: .invalidWillQoS),
        Row(reference: "MQTT-3.1.2-15", hex: connect(flags: "22"), error: .willRetainWithoutWillFlag),
        Row(reference: "MQTT-3.1.2-18", hex: connect(flags: "06", rest: "0001 77 0001 78 0000"), error: .unflaggedConnectField(.userName)),
        Row(reference: "MQTT-3.1.2-19", hex: connect(flags: "82"), error: .truncated(.connect, field: .userName)),
        Row(reference: "MQTT-3.1.2-20", hex: connect(flags: "82", rest: "0001 75 0000"), error: .unflaggedConnectField(.password)),
        Row(reference: "MQTT-3.1.2-21", hex: connect(flags: "c2", rest: "0001 75"), error: .truncated(.connect, field: .password)),
        Row(reference: "MQTT-3.1.2-22", hex: connect(flags: "42"), error: .passwordWithoutUsername),
        Row(reference: "MQTT-3.1.3-3", hex: "100a 00044d515454 04 02 0000", error: .truncated(.connect, field: .clientIdentifier)),
        Row(reference: "MQTT-3.2.2-4", hex: "20020105", error: .sessionPresentWithRefusal(.notAuthorized)),
        Row(reference: "MQTT-3.3.1-2", hex: "3803 0001 74", error: .duplicateFlagAtQoS0),
        Row(reference: "MQTT-3.3.1-4", hex: "3603 0001 74", error: .invalidPublishQoS),
        Row(reference: "MQTT-3.3.2-1", hex: "3001 00", error: .truncated(.publish, field: .topicName)),
        Row(reference: "MQTT-3.3.2-2", hex: "3005 0003 612f2b", error: .invalidTopic(.publish, .wildcardInTopicName("a/+"))),
        Row(reference: "MQTT-3.6.1-1", hex: "60020001", error: .invalidFixedHeaderFlags(.pubrel, flags: 0)),
        Row(reference: "MQTT-3.8.1-1", hex: "8006 0001 0001 74 00", error: .invalidFixedHeaderFlags(.subscribe, flags: 0)),
        Row(reference: "MQTT-3.8.3-3", hex: "82020001", error: .emptySubscribe),
        Row(reference: "MQTT-3-8.3-4", hex: "8206 0001 0001 74 03", error: .invalidRequestedQoS(3)),
        Row(reference: "MQTT-3.8.4-5", hex: "90020001", error: .emptySubAck),
        Row(reference: "MQTT-3.9.3-2", hex: "9003 0001 03", error: .reservedSubAckReturnCode(3)),
        Row(reference: "MQTT-3.10.1-1", hex: "a005 0001 0001 74", error: .invalidFixedHeaderFlags(.unsubscribe, flags: 0)),
        Row(reference: "MQTT-3.10.3-2", hex: "a2020001", error: .emptyUnsubscribe),
        Row(reference: "MQTT-3.14.1-1", hex: "e100", error: .invalidFixedHeaderFlags(.disconnect, flags: 1)),
        Row(reference: "MQTT-4.3.3-2", hex: "70020000", error: .zeroPacketIdentifier(.pubcomp)),
        Row(reference: "MQTT-4.7.1-1", hex: connect(flags: "06", rest: "0003 612f23 0000"), error: .invalidTopic(.connect, .wildcardInTopicName("a/#"))),
        Row(reference: "MQTT-4.7.1-2", hex: "8207 0001 0002 232f 00", error: .invalidTopic(.subscribe, .misplacedMultiLevelWildcard("#/"))),
        Row(reference: "MQTT-4.7.1-3", hex: "8207 0001 0002 612b 00", error: .invalidTopic(.subscribe, .misplacedSingleLevelWildcard("a+"))),
        Row(reference: "MQTT-4.7.3-1", hex: "3002 0000", error: .invalidTopic(.publish, .empty)),
        Row(reference: "section 2.2.1", hex: "f000", error: .reservedPacketType(15)),
        Row(reference: "section 2.2.3", hex: "30ffffffff01", error: .malformedRemainingLength),
        Row(reference: "section 3.1.2.1", hex: "1002 0004", error: .truncated(.connect, field: .protocolName)),
        Row(reference: "section 3.1.2.2", hex: "1006 00044d515454", error: .truncated(.connect, field: .protocolLevel)),
        Row(reference: "section 3.1.2.3", hex: "1007 00044d515454 04", error: .truncated(.connect, field: .connectFlags)),
        Row(reference: "section 3.1.2.10", hex: "1009 00044d515454 04 02 00", error: .truncated(.connect, field: .keepAlive)),
        Row(reference: "section 3.1.3", hex: connect(flags: "c2", rest: "0001 75 0001 70 0000"), error: .unexpectedTrailingBytes(.connect, count: 2)),
        Row(reference: "section 3.2.1", hex: "200100", error: .truncated(.connack, field: .returnCode)),
        Row(reference: "section 3.2.2.1", hex: "20020200", error: .reservedConnAckFlags(2)),
        Row(reference: "section 3.2.2.3", hex: "20020006", error: .reservedConnectReturnCode(6)),
        Row(reference: "section 3.4.1", hex: "4001 00", error: .truncated(.puback, field: .packetIdentifier)),
        Row(reference: "section 3.5.1", hex: "5003 000100", error: .unexpectedTrailingBytes(.pubrec, count: 1)),
        Row(reference: "section 3.6.1", hex: "6201 00", error: .truncated(.pubrel, field: .packetIdentifier)),
        Row(reference: "section 3.7.1", hex: "7003 000100", error: .unexpectedTrailingBytes(.pubcomp, count: 1)),
        Row(reference: "section 3.8.3", hex: "8205 0001 0001 74", error: .truncated(.subscribe, field: .requestedQoS)),
        Row(reference: "section 3.9.2", hex: "9001 00", error: .truncated(.suback, field: .packetIdentifier)),
        Row(reference: "section 3.10.3", hex: "a204 0001 0001", error: .truncated(.unsubscribe, field: .topicFilter)),
        Row(reference: "section 3.11.1", hex: "b001 00", error: .truncated(.unsuback, field: .packetIdentifier)),
        Row(reference: "section 3.12", hex: "c001 00", error: .unexpectedTrailingBytes(.pingreq, count: 1)),
        Row(reference: "section 3.13", hex: "d001 00", error: .unexpectedTrailingBytes(.pingresp, count: 1)),
        Row(reference: "section 3.14", hex: "e001 00", error: .unexpectedTrailingBytes(.disconnect, count: 1)),
        Row(
            reference: "configured maximum packet size",
            hex: "30c0843d",
            error: .packetTooLarge(size: 1_000_004, limit: 1024),
            maximumPacketSize: 1024
        ),
    ]

    @Test("each rule's vector is refused with its statement", arguments: rows)
    func refused(row: Row) {
        var buffer = Hex.buffer(row.hex)
        let error = #expect(throws: MQTTDecodingError.self) {
            try MQTTPacket.decode(from: &buffer, maximumPacketSize: row.maximumPacketSize)
        }
        #expect(error == row.error)
        #expect(error?.reference == row.reference)
        #expect(error?.description.hasSuffix("[\(row.reference)]") == true)
    }

    @Test("each vector is refused through the streaming decoder too, in any split", arguments: rows)
    func refusedWhenSplit(row: Row) {
        let bytes = Hex.bytes(row.hex)
        for split in 0...bytes.count {
            var decoder = MQTTPacketDecoder(maximumPacketSize: row.maximumPacketSize)
            var buffer = ByteBuffer(bytes: bytes.prefix(split))
            var thrown: MQTTDecodingError?
            do {
                if try decoder.decode(buffer: &buffer) == nil {
                    buffer.writeBytes(bytes.dropFirst(split))
                    _ = try decoder.decode(buffer: &buffer)
                }
            } catch let error as MQTTDecodingError {
                thrown = error
            } catch {
                Issue.record("unexpected error \(error)")
            }
            #expect(thrown == row.error, "split at \(split)")
        }
    }

    @Test("one row per rule")
    func rowsAreUnique() {
        #expect(Set(Self.rows.map(\.reference)).count == Self.rows.count)
    }

    @Test("the README lists exactly the rules of this table")
    func readmeListsTheRules() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: "<!-- statements:begin -->"))
        let end = try #require(readme.range(of: "<!-- statements:end -->"))
        let text = String(readme[start.upperBound..<end.lowerBound])
        let ids = Set(text.matches(of: /MQTT-[0-9]+[.-][0-9.]+-[0-9]+/).map { String($0.output) })
        let sections = Set(text.matches(of: /§([0-9.]*[0-9])/).map { "section " + String($0.output.1) })
        let expected = Set(Self.rows.map(\.reference).filter { $0.hasPrefix("MQTT-") })
        let expectedSections = Set(Self.rows.map(\.reference).filter { $0.hasPrefix("section ") })
        #expect(ids == expected, "README ids differ: missing \(expected.subtracting(ids).sorted()), extra \(ids.subtracting(expected).sorted())")
        #expect(
            sections == expectedSections,
            "README sections differ: missing \(expectedSections.subtracting(sections).sorted()), extra \(sections.subtracting(expectedSections).sorted())"
        )
    }
}
