import HarnessTestSupport
import MQTTCore
import NIOCore
import Testing

/// Malformed input throws a typed error naming the violated statement.
@Suite struct MalformedPacketTests {
    static let cases: [(hex: String, error: MQTTDecodingError)] = [
        ("0000", .reservedPacketType(0)),
        ("f000", .reservedPacketType(15)),
        ("c100", .invalidFixedHeaderFlags(.pingreq, flags: 1)),
        ("8002000100", .invalidFixedHeaderFlags(.subscribe, flags: 0)),
        ("3600", .invalidPublishQoS),
        ("3803000174", .duplicateFlagAtQoS0),
        ("30ffffffff01", .malformedRemainingLength),
        ("100c00044d51545404 01 0000 0000", .reservedConnectFlagSet),
        ("100c00044d51545404 40 0000 0000", .passwordWithoutUsername),
        ("100c00044d51545404 08 0000 0000", .willFieldsWithoutWillFlag),
        ("100c00044d51545404 1c 0000 0000", .invalidWillQoS),
        ("100c00044d51545504 00 0000 0000", .invalidProtocolName("MQTU")),
        ("3005000361 2f 2b", .invalidTopic(.publish, .wildcardInTopicName("a/+"))),
        ("30020000", .invalidTopic(.publish, .empty)),
        ("3005 0003 61 00 62", .nullCharacter(.publish, field: "topic name")),
        ("3005 0003 61 ff 62", .invalidUTF8(.publish, field: "topic name")),
        ("3005 0003 ed a0 80", .invalidUTF8(.publish, field: "topic name")),
        ("3205000174 0000", .zeroPacketIdentifier(.publish)),
        ("82020001", .emptySubscribe),
        ("8206000100017403", .invalidRequestedQoS(3)),
        ("8206000100017404", .invalidRequestedQoS(4)),
        ("8206 0000 0001 74 00", .zeroPacketIdentifier(.subscribe)),
        ("8207 0001 0002 612b 00", .invalidTopic(.subscribe, .misplacedSingleLevelWildcard("a+"))),
        ("8207 0001 0002 232f 00", .invalidTopic(.subscribe, .misplacedMultiLevelWildcard("#/"))),
        ("9003000103", .reservedSubAckReturnCode(3)),
        ("a2020001", .emptyUnsubscribe),
        ("20020200", .reservedConnAckFlags(2)),
        ("20020006", .reservedConnectReturnCode(6)),
        ("c00100", .unexpectedTrailingBytes(.pingreq, count: 1)),
        ("4001 00", .truncated(.puback, field: "packet identifier")),
    ]

    @Test("malformed input is refused with the statement", arguments: cases.indices)
    func refused(index: Int) {
        let testCase = Self.cases[index]
        var buffer = Hex.buffer(testCase.hex)
        let error = #expect(throws: MQTTDecodingError.self) { try MQTTPacket.decode(from: &buffer) }
        #expect(error == testCase.error, "\(testCase.hex)")
        #expect(error?.description.isEmpty == false)
    }

    @Test("statement ids appear in messages")
    func statementInMessage() {
        #expect(MQTTDecodingError.reservedConnectFlagSet.description.contains("[MQTT-3.1.2-3]"))
        #expect(MQTTDecodingError.passwordWithoutUsername.statement == "MQTT-3.1.2-22")
        #expect(MQTTDecodingError.invalidTopic(.publish, .wildcardInTopicName("a/#")).statement == "MQTT-3.3.2-2")
    }

    @Test("an oversized packet is refused from its fixed header alone")
    func maximumPacketSize() {
        // Fixed header announcing 1,000,000 bytes; nothing of the body has arrived.
        var buffer = Hex.buffer("30c0843d")
        let error = #expect(throws: MQTTDecodingError.self) {
            try MQTTPacket.decode(from: &buffer, maximumPacketSize: 1024)
        }
        #expect(error == .packetTooLarge(size: 1_000_004, limit: 1024))
    }
}
