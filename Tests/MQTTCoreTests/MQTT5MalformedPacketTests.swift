import HarnessTestSupport
import MQTTCore
import NIOCore
import Testing

/// Every refusal of the MQTT 5.0 decoder: the typed error (wrapped in ``MQTTDecodingError/mqtt5(_:)``)
/// and the MQTT 5.0 rule it names — the normative statement where the standard gives one, else
/// the section.
@Suite struct MQTT5MalformedPacketTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var hex: String
        var error: MQTTDecodingError
        var reference: String
        var testDescription: String { "\(reference): \(hex)" }
    }

    static let cases: [Case] = [
        // Fixed header and Variable Byte Integers.
        Case(hex: "21 03 00 00 00", error: .invalidFixedHeaderFlags(.connack, flags: 1), reference: "MQTT-2.1.3-1"),
        Case(hex: "60 02 0001", error: .invalidFixedHeaderFlags(.pubrel, flags: 0), reference: "MQTT-3.6.1-1"),
        Case(hex: "80 06 0001 00 000161", error: .invalidFixedHeaderFlags(.subscribe, flags: 0), reference: "MQTT-3.8.1-1"),
        Case(hex: "a0 05 0001 00 0001", error: .invalidFixedHeaderFlags(.unsubscribe, flags: 0), reference: "MQTT-3.10.1-1"),
        Case(hex: "e1 00", error: .invalidFixedHeaderFlags(.disconnect, flags: 1), reference: "MQTT-3.14.1-1"),
        Case(hex: "f2 00", error: .invalidFixedHeaderFlags(.auth, flags: 2), reference: "MQTT-3.15.1-1"),
        Case(hex: "00 00", error: .reservedPacketType(0), reference: "section 2.1.2"),
        Case(hex: "e0 80 00", error: .nonMinimalRemainingLength, reference: "MQTT-1.5.5-1"),
        Case(hex: "30 ff ff ff ff 01", error: .malformedRemainingLength, reference: "section 2.1.4"),
        Case(hex: "30 05 000161 8000", error: .invalidProperty(.publish, .nonMinimalVariableByteInteger), reference: "MQTT-1.5.5-1"),
        Case(hex: "30 08 000161 80808080 01", error: .invalidProperty(.publish, .malformedVariableByteInteger), reference: "section 1.5.5"),
        // Properties.
        Case(hex: "30 03 000161", error: .truncated(.publish, field: .properties), reference: "MQTT-2.2.2-1"),
        Case(hex: "30 04 000161 09", error: .invalidProperty(.publish, .lengthBeyondPacket(length: 9, available: 0)), reference: "section 2.2.2.1"),
        Case(hex: "30 06 000161 02 7f00", error: .invalidProperty(.publish, .unknownIdentifier(0x7f)), reference: "section 2.2.2.2"),
        Case(hex: "30 09 000161 05 11 00000000", error: .invalidProperty(.publish, .notAllowed(.sessionExpiryInterval)), reference: "section 2.2.2.2"),
        Case(hex: "30 0c 000161 08 03000161 03000162", error: .invalidProperty(.publish, .repeated(.contentType)), reference: "section 3.3.2.3.9"),
        Case(hex: "30 0a 000161 06 230001 230002", error: .invalidProperty(.publish, .repeated(.topicAlias)), reference: "section 3.3.2.3.4"),
        Case(hex: "30 06 000161 02 2300", error: .invalidProperty(.publish, .truncated(.topicAlias)), reference: "section 3.3.2.3.4"),
        Case(hex: "30 08 000161 04 230000 78", error: .invalidProperty(.publish, .invalidValue(.topicAlias, 0)), reference: "MQTT-3.3.2-8"),
        Case(hex: "30 06 000161 02 0102", error: .invalidProperty(.publish, .invalidValue(.payloadFormatIndicator, 2)), reference: "section 3.3.2.3.2"),
        Case(hex: "30 06 000161 02 0b00", error: .invalidProperty(.publish, .invalidValue(.subscriptionIdentifier, 0)), reference: "section 3.3.2.3.8"),
        Case(hex: "30 08 000161 04 03 0001 ff", error: .invalidProperty(.publish, .invalidUTF8(.contentType)), reference: "MQTT-1.5.4-1"),
        Case(hex: "30 0a 000161 06 03 0003 61 eda080", error: .invalidProperty(.publish, .invalidUTF8(.contentType)), reference: "MQTT-1.5.4-1"),
        Case(hex: "30 08 000161 04 03 0001 00", error: .invalidProperty(.publish, .nullCharacter(.contentType)), reference: "MQTT-1.5.4-2"),
        Case(hex: "30 13 000161 0f 03 000c 616263646566676869006b6c", error: .invalidProperty(.publish, .nullCharacter(.contentType)), reference: "MQTT-1.5.4-2"),
        Case(hex: "30 17 000161 13 03 0010 616263ff6162636465666768696a6b6c", error: .invalidProperty(.publish, .invalidUTF8(.contentType)), reference: "MQTT-1.5.4-1"),
        Case(hex: "30 17 000161 13 03 0010 6162636465666768 69 eda080 6a6b6c 6d", error: .invalidProperty(.publish, .invalidUTF8(.contentType)), reference: "MQTT-1.5.4-1"),
        Case(hex: "30 0b 000161 07 26 0001 6b 0001 00", error: .invalidProperty(.publish, .nullCharacter(.userProperty)), reference: "MQTT-1.5.7-1"),
        Case(hex: "30 0b 000161 07 26 0001 ff 0001 76", error: .invalidProperty(.publish, .invalidUTF8(.userProperty)), reference: "MQTT-1.5.7-1"),
        Case(hex: "30 09 000161 05 08 0002 612b", error: .invalidProperty(.publish, .invalidResponseTopic(.wildcardInTopicName("a+"))), reference: "MQTT-3.3.2-14"),
        Case(hex: "30 07 000161 03 08 0000", error: .invalidProperty(.publish, .invalidResponseTopic(.empty)), reference: "MQTT-4.7.3-1"),
        Case(hex: "30 08 000161 04 16 0001 ab", error: .invalidProperty(.publish, .notAllowed(.authenticationData)), reference: "section 2.2.2.2"),
        Case(hex: "82 0b 0001 04 0b01 0b02 000161 00", error: .invalidProperty(.subscribe, .repeated(.subscriptionIdentifier)), reference: "section 3.8.2.1.2"),
        Case(hex: "40 07 0001 00 03 230001", error: .invalidProperty(.puback, .notAllowed(.topicAlias)), reference: "section 2.2.2.2"),
        // PUBLISH.
        Case(hex: "30 04 0000 00 78", error: .emptyTopicWithoutAlias, reference: "section 3.3.2.3.4"),
        Case(hex: "30 05 0002 612b 00", error: .invalidTopic(.publish, .wildcardInTopicName("a+")), reference: "MQTT-3.3.2-2"),
        Case(hex: "30 04 0001 ff 00", error: .invalidUTF8(.publish, field: .topicName), reference: "MQTT-1.5.4-1"),
        Case(hex: "32 06 000161 0000 00", error: .zeroPacketIdentifier(.publish), reference: "MQTT-2.2.1-3"),
        Case(hex: "36 00", error: .invalidPublishQoS, reference: "MQTT-3.3.1-4"),
        Case(hex: "38 04 000161 00", error: .duplicateFlagAtQoS0, reference: "MQTT-3.3.1-2"),
        // Acknowledgements and their reason codes.
        Case(hex: "40 02 0000", error: .zeroPacketIdentifier(.puback), reference: "MQTT-2.2.1-5"),
        Case(hex: "40 03 0001 92", error: .invalidReasonCode(.puback, 0x92), reference: "MQTT-3.4.2-1"),
        Case(hex: "50 03 0001 8e", error: .invalidReasonCode(.pubrec, 0x8e), reference: "MQTT-3.5.2-1"),
        Case(hex: "62 03 0001 10", error: .invalidReasonCode(.pubrel, 0x10), reference: "MQTT-3.6.2-1"),
        Case(hex: "70 03 0001 87", error: .invalidReasonCode(.pubcomp, 0x87), reference: "MQTT-3.7.2-1"),
        Case(hex: "40 03 0001 03", error: .invalidReasonCode(.puback, 0x03), reference: "MQTT-3.4.2-1"),
        Case(hex: "40 05 0001 00 00 ff", error: .unexpectedTrailingBytes(.puback, count: 1), reference: "section 3.4.3"),
        // CONNACK.
        Case(hex: "20 03 02 00 00", error: .reservedConnAckFlags(2), reference: "MQTT-3.2.2-1"),
        Case(hex: "20 03 01 87 00", error: .sessionPresentWithReasonCode(.notAuthorized), reference: "MQTT-3.2.2-6"),
        Case(hex: "20 03 00 05 00", error: .invalidReasonCode(.connack, 0x05), reference: "MQTT-3.2.2-8"),
        Case(hex: "20 03 00 8e 00", error: .invalidReasonCode(.connack, 0x8e), reference: "MQTT-3.2.2-8"),
        Case(hex: "20 02 00 00", error: .truncated(.connack, field: .properties), reference: "MQTT-2.2.2-1"),
        Case(hex: "20 05 00 00 02 2402", error: .invalidProperty(.connack, .invalidValue(.maximumQoS, 2)), reference: "section 3.2.2.3.4"),
        Case(hex: "20 06 00 00 03 210000", error: .invalidProperty(.connack, .invalidValue(.receiveMaximum, 0)), reference: "section 3.2.2.3.3"),
        Case(hex: "20 06 00 00 03 230001", error: .invalidProperty(.connack, .notAllowed(.topicAlias)), reference: "section 2.2.2.2"),
        // SUBSCRIBE and its options.
        Case(hex: "82 07 0001 00 000161 40", error: .reservedSubscriptionOptions(0x40), reference: "MQTT-3.8.3-5"),
        Case(hex: "82 07 0001 00 000161 30", error: .invalidSubscriptionOptions(0x30), reference: "section 3.8.3.1"),
        Case(hex: "82 07 0001 00 000161 03", error: .invalidSubscriptionOptions(0x03), reference: "section 3.8.3.1"),
        Case(hex: "82 03 0001 00", error: .emptySubscribe, reference: "MQTT-3.8.3-2"),
        Case(hex: "82 10 0001 00 000a 2473686172652f672f61 04", error: .noLocalOnSharedSubscription("$share/g/a"), reference: "MQTT-3.8.3-4"),
        Case(hex: "82 0f 0001 00 0009 2473686172652f2f61 00", error: .invalidSharedSubscription("$share//a"), reference: "MQTT-4.8.2-1"),
        Case(hex: "82 0e 0001 00 0008 2473686172652f67 00", error: .invalidSharedSubscription("$share/g"), reference: "MQTT-4.8.2-2"),
        Case(hex: "82 08 0001 00 0002 6123 01", error: .invalidTopic(.subscribe, .misplacedMultiLevelWildcard("a#")), reference: "MQTT-4.7.1-1"),
        // SUBACK, UNSUBSCRIBE, UNSUBACK.
        Case(hex: "90 04 0001 00 04", error: .invalidReasonCode(.suback, 0x04), reference: "MQTT-3.9.3-2"),
        Case(hex: "90 03 0001 00", error: .emptySubAck, reference: "MQTT-3.8.4-6"),
        Case(hex: "a2 03 0001 00", error: .emptyUnsubscribe, reference: "MQTT-3.10.3-2"),
        Case(hex: "b0 04 0001 00 8e", error: .invalidReasonCode(.unsuback, 0x8e), reference: "MQTT-3.11.3-2"),
        Case(hex: "b0 03 0001 00", error: .emptyUnsubAck, reference: "section 3.11.3"),
        Case(hex: "b0 02 0001", error: .truncated(.unsuback, field: .properties), reference: "MQTT-2.2.2-1"),
        // DISCONNECT and AUTH.
        Case(hex: "e0 01 18", error: .invalidReasonCode(.disconnect, 0x18), reference: "MQTT-3.14.2-1"),
        Case(hex: "e0 01 ff", error: .invalidReasonCode(.disconnect, 0xff), reference: "MQTT-3.14.2-1"),
        Case(hex: "e0 04 00 02 2100", error: .invalidProperty(.disconnect, .notAllowed(.receiveMaximum)), reference: "section 2.2.2.2"),
        Case(hex: "f0 01 87", error: .invalidReasonCode(.auth, 0x87), reference: "MQTT-3.15.2-1"),
        Case(hex: "f0 0a 18 08 15 0001 61 15 0001 62", error: .invalidProperty(.auth, .repeated(.authenticationMethod)), reference: "section 3.15.2.2.2"),
        // CONNECT.
        Case(hex: "10 0d 0006 4d5149736470 05 02 003c 00", error: .invalidProtocolName("MQIsdp"), reference: "MQTT-3.1.2-1"),
        Case(hex: "10 0e 0004 4d515454 05 03 003c 00 0001 63", error: .reservedConnectFlagSet, reference: "MQTT-3.1.2-3"),
        Case(hex: "10 0e 0004 4d515454 05 0a 003c 00 0001 63", error: .willQoSWithoutWillFlag(1), reference: "MQTT-3.1.2-11"),
        Case(hex: "10 0e 0004 4d515454 05 1e 003c 00 0001 63", error: .invalidWillQoS, reference: "MQTT-3.1.2-12"),
        Case(hex: "10 0e 0004 4d515454 05 22 003c 00 0001 63", error: .willRetainWithoutWillFlag, reference: "MQTT-3.1.2-13"),
        Case(hex: "10 0a 0004 4d515454 05 02 003c", error: .truncated(.connect, field: .properties), reference: "MQTT-2.2.2-1"),
        Case(hex: "10 0b 0004 4d515454 05 02 003c 00", error: .truncated(.connect, field: .clientIdentifier), reference: "MQTT-3.1.3-3"),
        Case(hex: "10 0f 0004 4d515454 05 06 003c 00 0001 63 00", error: .truncated(.connect, field: .willTopic), reference: "MQTT-3.1.2-9"),
        Case(hex: "10 0e 0004 4d515454 05 06 003c 00 0001 63", error: .truncated(.connect, field: .willProperties), reference: "MQTT-3.1.2-9"),
        Case(hex: "10 0e 0004 4d515454 05 82 003c 00 0001 63", error: .truncated(.connect, field: .userName), reference: "MQTT-3.1.2-17"),
        Case(hex: "10 0e 0004 4d515454 05 42 003c 00 0001 63", error: .truncated(.connect, field: .password), reference: "MQTT-3.1.2-19"),
        Case(hex: "10 17 0004 4d515454 05 06 003c 00 0001 63 00 000161 0000 0001 78", error: .unflaggedConnectField(.userName), reference: "MQTT-3.1.2-16"),
        Case(hex: "10 12 0004 4d515454 05 82 003c 00 0001 63 0001 75 00", error: .unflaggedConnectField(.password), reference: "MQTT-3.1.2-18"),
        Case(hex: "10 10 0004 4d515454 05 02 003c 03 210000 0001 63", error: .invalidProperty(.connect, .invalidValue(.receiveMaximum, 0)), reference: "section 3.1.2.11.3"),
        Case(hex: "10 12 0004 4d515454 05 02 003c 05 2700000000 0001 63", error: .invalidProperty(.connect, .invalidValue(.maximumPacketSize, 0)), reference: "section 3.1.2.11.4"),
        Case(hex: "10 0f 0004 4d515454 05 02 003c 02 1702 0001 63", error: .invalidProperty(.connect, .invalidValue(.requestProblemInformation, 2)), reference: "section 3.1.2.11.7"),
        Case(hex: "10 11 0004 4d515454 05 02 003c 04 23 0001 00 0001 63", error: .invalidProperty(.connect, .notAllowed(.topicAlias)), reference: "section 2.2.2.2"),
        Case(hex: "10 17 0004 4d515454 05 06 003c 00 0001 63 03 230001 000161 0000", error: .invalidProperty(.will, .notAllowed(.topicAlias)), reference: "section 2.2.2.2"),
        Case(hex: "10 0e 0004 4d515454 05 02 003c 00 0001 ff", error: .invalidUTF8(.connect, field: .clientIdentifier), reference: "MQTT-1.5.4-1"),
    ]

    @Test("refused with the MQTT 5.0 rule", arguments: cases)
    func refused(_ test: Case) {
        var buffer = ByteBuffer(bytes: Hex.bytes(test.hex))
        #expect(throws: MQTTDecodingError.mqtt5(test.error)) { try MQTTPacket.decode(from: &buffer, version: .v5) }
        let error = MQTTDecodingError.mqtt5(test.error)
        #expect(error.reference == test.reference)
        #expect(error.description.hasSuffix("[\(test.reference)]"))
        #expect(error.protocolVersion == .v5)
        #expect(!error.reason.isEmpty)
    }

    @Test("the same rule is named by each version's statement: ill-formed UTF-8, will QoS, empty SUBSCRIBE, zero packet id")
    func versionsNameTheirOwnStatements() throws {
        let pairs: [(v311: String, v5: String, statements: (String, String))] = [
            ("30 04 0001 ff 00", "30 04 0001 ff 00", ("MQTT-1.5.3-1", "MQTT-1.5.4-1")),
            ("10 0c 0004 4d515454 04 08 0000 0000", "10 0e 0004 4d515454 05 0a 003c 00 0001 63", ("MQTT-3.1.2-13", "MQTT-3.1.2-11")),
            ("82 02 0001", "82 03 0001 00", ("MQTT-3.8.3-3", "MQTT-3.8.3-2")),
            ("40 02 0000", "40 02 0000", ("MQTT-2.3.1-6", "MQTT-2.2.1-5")),
        ]
        for (old, new, statements) in pairs {
            var oldBuffer = ByteBuffer(bytes: Hex.bytes(old))
            var newBuffer = ByteBuffer(bytes: Hex.bytes(new))
            do {
                _ = try MQTTPacket.decode(from: &oldBuffer)
                Issue.record("3.1.1 accepted \(old)")
            } catch {
                #expect(error.statement == statements.0)
                #expect(error.protocolVersion == .v311)
            }
            do {
                _ = try MQTTPacket.decode(from: &newBuffer, version: .v5)
                Issue.record("5.0 accepted \(new)")
            } catch {
                #expect(error.statement == statements.1)
            }
        }
    }

    @Test("MQTT 3.1.1 reserves type 15 and keeps a level-5 CONNECT undecoded; 5.0 decodes both")
    func versionBoundaries() throws {
        var auth = ByteBuffer(bytes: Hex.bytes("f0 00"))
        #expect(throws: MQTTDecodingError.reservedPacketType(15)) { try MQTTPacket.decode(from: &auth) }
        let connect = Hex.bytes("10 0e 0004 4d515454 05 02 003c 00 0001 63")
        var old = ByteBuffer(bytes: connect)
        guard case .connect(let undecoded)? = try MQTTPacket.decode(from: &old) else {
            Issue.record("not a CONNECT")
            return
        }
        #expect(undecoded.protocolLevel == 5 && undecoded.undecodedFields != nil)
        var new = ByteBuffer(bytes: connect)
        #expect(try MQTTPacket.decode(from: &new, version: .v5) == .connect(ConnectPacket(protocolLevel: 5, clientID: "c", keepAlive: 60)))
        // The 5.0 decoder reads a 3.1.1 CONNECT in its own layout, with 3.1.1's rules.
        var v311 = ByteBuffer(bytes: Hex.bytes("100c00044d51545404 40 0000 0000"))
        #expect(throws: MQTTDecodingError.passwordWithoutUsername) { try MQTTPacket.decode(from: &v311, version: .v5) }
        // 3.1.1 accepts a longer remaining length than needed; 5.0 does not [MQTT-1.5.5-1].
        var padded = ByteBuffer(bytes: Hex.bytes("e0 80 00"))
        #expect(try MQTTPacket.decode(from: &padded) == .disconnect)
    }

    @Test("partial input is not an error: every prefix of a valid packet waits for more")
    func prefixes() throws {
        let bytes = Hex.bytes("32 1e 0003 612f62 000a 11 230005 0b01 0b8001 260001 6b 0001 76 0101 68656c6c6f")
        for count in 0..<bytes.count {
            var buffer = ByteBuffer(bytes: bytes.prefix(count))
            #expect(try MQTTPacket.decode(from: &buffer, version: .v5) == nil)
            #expect(buffer.readableBytes == count)
        }
    }
}
