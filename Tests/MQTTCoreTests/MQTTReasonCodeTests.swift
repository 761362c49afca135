import MQTTCore
import Testing

/// The 43 reason codes of MQTT 5.0 (section 2.4, Table 2-6): values, names, and the packets
/// each may appear in.
@Suite struct MQTTReasonCodeTests {
    @Test("43 codes with their values and the standard's names")
    func values() {
        #expect(MQTTReasonCode.allCases.count == 43)
        #expect(MQTTReasonCode.notAuthorized.rawValue == 0x87)
        #expect(MQTTReasonCode.notAuthorized.name == "not_authorized")
        #expect(MQTTReasonCode.sessionTakenOver.rawValue == 0x8E)
        #expect(MQTTReasonCode.wildcardSubscriptionsNotSupported.rawValue == 0xA2)
        #expect(MQTTReasonCode.notAuthorized.description == "0x87 (not_authorized)")
        #expect(MQTTReasonCode.success.name(in: .disconnect) == "normal_disconnection")
        #expect(MQTTReasonCode.success.name(in: .suback) == "granted_qos_0")
        #expect(MQTTReasonCode.success.name(in: .connack) == "success")
        #expect(Set(MQTTReasonCode.allCases.map(\.name)).count == 43)
        for code in MQTTReasonCode.allCases {
            #expect(MQTTReasonCode(name: code.name) == code)
            #expect(MQTTReasonCode(name: String(code.rawValue)) == code)
            #expect(code.isFailure == (code.rawValue >= 0x80))
        }
    }

    @Test("names as scenarios and the standard write them, and numbers", arguments: [
        ("not_authorized", MQTTReasonCode.notAuthorized), ("Not authorized", .notAuthorized), ("0x87", .notAuthorized),
        ("135", .notAuthorized), ("normal_disconnection", .success), ("granted_qos_0", .success), ("Granted QoS 1", .grantedQoS1),
        ("0X8e", .sessionTakenOver), ("Re-authenticate", .reAuthenticate),
    ])
    func parsing(text: String, code: MQTTReasonCode) {
        #expect(MQTTReasonCode(name: text) == code)
    }

    @Test("unknown names and undefined values are nil", arguments: ["0x03", "3", "256", "not authorised", "", "0x"])
    func unknown(text: String) {
        #expect(MQTTReasonCode(name: text) == nil)
    }

    @Test("each packet's own table of codes")
    func perPacket() {
        func codes(_ type: MQTTPacketType) -> [UInt8] { MQTTReasonCode.allowed(in: type).map(\.rawValue) }
        #expect(codes(.connack) == [0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F])
        #expect(codes(.puback) == [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99])
        #expect(codes(.pubrec) == codes(.puback))
        #expect(codes(.pubrel) == [0x00, 0x92])
        #expect(codes(.pubcomp) == [0x00, 0x92])
        #expect(codes(.suback) == [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2])
        #expect(codes(.unsuback) == [0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91])
        #expect(codes(.auth) == [0x00, 0x18, 0x19])
        #expect(codes(.disconnect) == [
            0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99,
            0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2,
        ])
        for type in [MQTTPacketType.connect, .publish, .subscribe, .unsubscribe, .pingreq, .pingresp] { #expect(codes(type).isEmpty) }
        // Every code appears in at least one packet.
        let used = Set(MQTTPacketType.allCases.flatMap { codes($0) })
        #expect(used == Set(MQTTReasonCode.allCases.map(\.rawValue)))
    }

    @Test("3.1.1 CONNACK return codes map onto their 5.0 codes and back; 5.0-only refusals to the nearest")
    func connackMapping() {
        #expect(ConnectReturnCode.allCases.map(\.reasonCode.rawValue) == [0x00, 0x84, 0x85, 0x88, 0x86, 0x87])
        for code in ConnectReturnCode.allCases { #expect(ConnectReturnCode(exactly: code.reasonCode) == code) }
        #expect(ConnAckPacket(reasonCode: .banned).returnCode == .notAuthorized)
        #expect(ConnAckPacket(reasonCode: .badAuthenticationMethod).returnCode == .badUsernameOrPassword)
        #expect(ConnAckPacket(reasonCode: .unspecifiedError).returnCode == .serverUnavailable)
        #expect(!ConnAckPacket(reasonCode: .unspecifiedError).isAccepted)
        var connack = ConnAckPacket(reasonCode: .banned)
        connack.returnCode = .accepted
        #expect(connack.reasonCode == .success && connack.isAccepted)
        #expect(SubAckPacket(packetID: 1, reasonCodes: [.grantedQoS2, .quotaExceeded]).returnCodes == [.granted(.exactlyOnce), .failure])
    }
}
