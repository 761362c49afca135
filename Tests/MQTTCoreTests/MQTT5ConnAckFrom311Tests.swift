import HarnessTestSupport
import MQTTCore
import Testing

/// An MQTT 3.1.1 server's refusal read by a 5.0 client: CONNACK `20 02 00 01` is malformed in
/// 5.0 (no property length, 0x01 no CONNACK code), and the error says what it is.
@Suite struct MQTT5ConnAckFrom311Tests {
    @Test("CONNACK 1 in 3.1.1 framing, read as 5.0: the error says the broker does not speak MQTT 5.0")
    func unacceptableProtocolVersion() throws {
        var buffer = try Hex.buffer("20 02 00 01")
        let error = try #require(throws: MQTTDecodingError.self) { try MQTTPacket.decode(from: &buffer, version: .v5) }
        #expect(error.reason.contains("return code 1 (unacceptable protocol version): the broker does not speak MQTT 5.0"), "\(error)")
        var other = try Hex.buffer("20 02 00 05")
        let refused = try #require(throws: MQTTDecodingError.self) { try MQTTPacket.decode(from: &other, version: .v5) }
        #expect(refused.reason.contains("return code 5: the broker answered in MQTT 3.1.1"), "\(refused)")
    }
}
