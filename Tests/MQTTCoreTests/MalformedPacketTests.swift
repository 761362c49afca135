import HarnessTestSupport
import MQTTCore
import NIOCore
import Testing

/// Malformed input throws a typed error naming the violated statement: more vectors than the
/// one-per-statement table in ``NormativeStatementTests``.
@Suite struct MalformedPacketTests {
    static let cases: [(hex: String, error: MQTTDecodingError)] = [
        ("0000", .reservedPacketType(0)),
        ("f000", .reservedPacketType(15)),
        ("c100", .invalidFixedHeaderFlags(.pingreq, flags: 1)),
        ("1200", .invalidFixedHeaderFlags(.connect, flags: 2)),
        ("2f020000", .invalidFixedHeaderFlags(.connack, flags: 0xf)),
        ("42020001", .invalidFixedHeaderFlags(.puback, flags: 2)),
        ("58020001", .invalidFixedHeaderFlags(.pubrec, flags: 8)),
        ("63020001", .invalidFixedHeaderFlags(.pubrel, flags: 3)),
        ("72020001", .invalidFixedHeaderFlags(.pubcomp, flags: 2)),
        ("8002000100", .invalidFixedHeaderFlags(.subscribe, flags: 0)),
        ("9203000100", .invalidFixedHeaderFlags(.suback, flags: 2)),
        ("a3050001000174", .invalidFixedHeaderFlags(.unsubscribe, flags: 3)),
        ("b2020001", .invalidFixedHeaderFlags(.unsuback, flags: 2)),
        ("d100", .invalidFixedHeaderFlags(.pingresp, flags: 1)),
        ("e200", .invalidFixedHeaderFlags(.disconnect, flags: 2)),
        ("3600", .invalidPublishQoS),
        ("3f00", .invalidPublishQoS),
        ("3803000174", .duplicateFlagAtQoS0),
        ("3903000174", .duplicateFlagAtQoS0),
        ("30ffffffff01", .malformedRemainingLength),
        ("30808080808001", .malformedRemainingLength),
        ("100c00044d51545404 01 0000 0000", .reservedConnectFlagSet),
        ("100c00044d51545404 40 0000 0000", .passwordWithoutUsername),
        ("100c00044d51545404 08 0000 0000", .willQoSWithoutWillFlag(1)),
        ("100c00044d51545404 10 0000 0000", .willQoSWithoutWillFlag(2)),
        ("100c00044d51545404 28 0000 0000", .willQoSWithoutWillFlag(1)),
        ("100c00044d51545404 20 0000 0000", .willRetainWithoutWillFlag),
        ("100c00044d51545404 1c 0000 0000", .invalidWillQoS),
        ("100c00044d51545504 00 0000 0000", .invalidProtocolName("MQTU")),
        ("100c00046d71747404 00 0000 0000", .invalidProtocolName("mqtt")),
        ("100b00034d515404 00 0000 0000", .invalidProtocolName("MQT")),
        ("1002 0004", .truncated(.connect, field: .protocolName)),
        ("1006 00044d515454", .truncated(.connect, field: .protocolLevel)),
        ("1007 00044d515454 04", .truncated(.connect, field: .connectFlags)),
        ("1008 00044d515454 04 02", .truncated(.connect, field: .keepAlive)),
        ("100e 00044d515454 04 02 0000 0005 6162", .truncated(.connect, field: .clientIdentifier)),
        ("100d 00044d515454 04 02 0000 0001 00", .nullCharacter(.connect, field: .clientIdentifier)),
        ("100d 00044d515454 04 02 0000 0001 c0", .invalidUTF8(.connect, field: .clientIdentifier)),
        ("100e 00044d515454 04 02 0000 0002 c0af", .invalidUTF8(.connect, field: .clientIdentifier)),
        ("100f 00044d515454 04 02 0000 0003 eda080", .invalidUTF8(.connect, field: .clientIdentifier)),
        ("1010 00044d515454 04 02 0000 0004 f4908080", .invalidUTF8(.connect, field: .clientIdentifier)),
        ("1010 00044d515454 04 06 0000 0000 0000 0000", .invalidTopic(.connect, .empty)),
        ("1013 00044d515454 04 06 0000 0000 0003 612f23 0000", .invalidTopic(.connect, .wildcardInTopicName("a/#"))),
        ("1010 00044d515454 04 06 0000 0000 0001 77 00", .truncated(.connect, field: .willMessage)),
        ("100f 00044d515454 04 82 0000 0000 0001 ff", .invalidUTF8(.connect, field: .userName)),
        ("1010 00044d515454 04 c2 0000 0000 0001 75 00", .truncated(.connect, field: .password)),
        ("1014 00044d515454 04 c2 0000 0000 0001 75 0001 70 0000", .unexpectedTrailingBytes(.connect, count: 2)),
        ("3005000361 2f 2b", .invalidTopic(.publish, .wildcardInTopicName("a/+"))),
        ("3004 0002 2323", .invalidTopic(.publish, .wildcardInTopicName("##"))),
        ("30020000", .invalidTopic(.publish, .empty)),
        ("3005 0003 61 00 62", .nullCharacter(.publish, field: .topicName)),
        ("3005 0003 61 ff 62", .invalidUTF8(.publish, field: .topicName)),
        ("3005 0003 ed a0 80", .invalidUTF8(.publish, field: .topicName)),
        ("3005 0003 ed bf bf", .invalidUTF8(.publish, field: .topicName)),
        ("3004 0002 c1 bf", .invalidUTF8(.publish, field: .topicName)),
        ("3005 0003 e0 80 af", .invalidUTF8(.publish, field: .topicName)),
        ("3003 0002 c3", .truncated(.publish, field: .topicName)),
        ("3004 0002 c3 61", .invalidUTF8(.publish, field: .topicName)),
        ("3205000174 0000", .zeroPacketIdentifier(.publish)),
        ("3404000174 00", .truncated(.publish, field: .packetIdentifier)),
        ("82020001", .emptySubscribe),
        ("8206000100017403", .invalidRequestedQoS(3)),
        ("8206000100017404", .invalidRequestedQoS(4)),
        ("8206000100017481", .invalidRequestedQoS(0x81)),
        ("8205 0001 0001 74", .truncated(.subscribe, field: .requestedQoS)),
        ("8206 0000 0001 74 00", .zeroPacketIdentifier(.subscribe)),
        ("8201 00", .truncated(.subscribe, field: .packetIdentifier)),
        ("8205 0001 0000 00", .invalidTopic(.subscribe, .empty)),
        ("8207 0001 0002 612b 00", .invalidTopic(.subscribe, .misplacedSingleLevelWildcard("a+"))),
        ("8207 0001 0002 232f 00", .invalidTopic(.subscribe, .misplacedMultiLevelWildcard("#/"))),
        ("8207 0001 0002 6100 00", .nullCharacter(.subscribe, field: .topicFilter)),
        ("9003000103", .reservedSubAckReturnCode(3)),
        ("9003000181", .reservedSubAckReturnCode(0x81)),
        ("90020001", .emptySubAck),
        ("90030000 00", .zeroPacketIdentifier(.suback)),
        ("a2020001", .emptyUnsubscribe),
        ("a2050000 0001 74", .zeroPacketIdentifier(.unsubscribe)),
        ("a2060001 0002 2361", .invalidTopic(.unsubscribe, .misplacedMultiLevelWildcard("#a"))),
        ("a2060001 0002 ffff", .invalidUTF8(.unsubscribe, field: .topicFilter)),
        ("20020200", .reservedConnAckFlags(2)),
        ("20028000", .reservedConnAckFlags(0x80)),
        ("20020006", .reservedConnectReturnCode(6)),
        ("200200ff", .reservedConnectReturnCode(0xff)),
        ("20020101", .sessionPresentWithRefusal(.unacceptableProtocolVersion)),
        ("200100", .truncated(.connack, field: .returnCode)),
        ("2003000000", .unexpectedTrailingBytes(.connack, count: 1)),
        ("c00100", .unexpectedTrailingBytes(.pingreq, count: 1)),
        ("d00100", .unexpectedTrailingBytes(.pingresp, count: 1)),
        ("e00100", .unexpectedTrailingBytes(.disconnect, count: 1)),
        ("4001 00", .truncated(.puback, field: .packetIdentifier)),
        ("400300 0100", .unexpectedTrailingBytes(.puback, count: 1)),
        ("50020000", .zeroPacketIdentifier(.pubrec)),
        ("62020000", .zeroPacketIdentifier(.pubrel)),
        ("b0020000", .zeroPacketIdentifier(.unsuback)),
    ]

    @Test("malformed input is refused with the statement", arguments: cases.indices)
    func refused(index: Int) {
        let testCase = Self.cases[index]
        var buffer = Hex.buffer(testCase.hex)
        let error = #expect(throws: MQTTDecodingError.self) { try MQTTPacket.decode(from: &buffer) }
        #expect(error == testCase.error, "\(testCase.hex)")
        #expect(error?.description.hasSuffix("[\(testCase.error.reference)]") == true)
    }

    @Test("statement ids appear in messages")
    func statementInMessage() {
        #expect(MQTTDecodingError.reservedConnectFlagSet.description == "CONNECT reserved flag (bit 0) is set [MQTT-3.1.2-3]")
        #expect(MQTTDecodingError.passwordWithoutUsername.statement == "MQTT-3.1.2-22")
        #expect(MQTTDecodingError.invalidTopic(.publish, .wildcardInTopicName("a/#")).statement == "MQTT-3.3.2-2")
        #expect(MQTTDecodingError.invalidTopic(.connect, .wildcardInTopicName("a/#")).statement == "MQTT-4.7.1-1")
        #expect(MQTTDecodingError.reservedConnAckFlags(2).statement == nil)
        #expect(MQTTDecodingError.reservedConnAckFlags(2).description.hasSuffix("[section 3.2.2.1]"))
        #expect(MQTTDecodingError.truncated(.publish, field: .topicName).description == "PUBLISH ends before its topic name is complete [MQTT-3.3.2-1]")
        #expect(MQTTDecodingError.packetTooLarge(size: 2000, limit: 1024).description.hasSuffix("[configured maximum packet size]"))
        #expect(MQTTDecodingError.invalidRequestedQoS(3).statement == "MQTT-3-8.3-4")
    }

    @Test("every error names a statement or a section, except the configured limit")
    func everyErrorHasAReference() {
        for testCase in Self.cases {
            #expect(testCase.error.statement != nil || testCase.error.section != nil, "\(testCase.error)")
        }
        #expect(MQTTDecodingError.packetTooLarge(size: 2, limit: 1).section == nil)
    }

    @Test("an oversized packet is refused from its fixed header alone")
    func maximumPacketSize() throws {
        // Fixed header announcing 1,000,000 bytes; nothing of the body has arrived.
        var buffer = Hex.buffer("30c0843d")
        let error = #expect(throws: MQTTDecodingError.self) {
            try MQTTPacket.decode(from: &buffer, maximumPacketSize: 1024)
        }
        #expect(error == .packetTooLarge(size: 1_000_004, limit: 1024))
        // Exactly at the limit is fine: a 3-byte fixed header and 1021 bytes of body.
        var atLimit = Hex.buffer("30fd07")
        #expect(try MQTTPacket.decode(from: &atLimit, maximumPacketSize: 1024) == nil)
        var overLimit = Hex.buffer("30fe07")
        #expect(throws: MQTTDecodingError.packetTooLarge(size: 1025, limit: 1024)) {
            try MQTTPacket.decode(from: &overLimit, maximumPacketSize: 1024)
        }
    }

    @Test("errors in the first byte are found before the remaining length arrives")
    func firstByteErrors() {
        for hex in ["c1", "36", "00", "e1", "f0"] {
            var buffer = Hex.buffer(hex)
            #expect(throws: MQTTDecodingError.self) { try MQTTPacket.decode(from: &buffer) }
        }
    }
}
