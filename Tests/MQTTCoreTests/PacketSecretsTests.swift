import HarnessTestSupport
import MQTTCore
import NIOCore
import Testing

/// ``MQTTPacket/maskingSecrets(in:)``: the secrets a summary hides, overwritten in the wire
/// bytes without changing a length, and nothing else.
@Suite struct PacketSecretsTests {
    static func properties(_ list: [MQTTProperty]) -> MQTTProperties { (try? MQTTProperties(list)) ?? MQTTProperties() }

    /// The packet encoded in `version`, masked, and decoded back.
    static func masked(_ packet: MQTTPacket, version: MQTTProtocolVersion = .v5) throws -> (bytes: [UInt8], masked: [UInt8], decoded: MQTTPacket?) {
        let bytes = Array(try packet.encoded(version: version).readableBytesView)
        let masked = packet.maskingSecrets(in: bytes)
        var buffer = ByteBuffer(bytes: masked)
        return (bytes, masked, try MQTTPacket.decode(from: &buffer, version: version))
    }

    @Test("a 5.0 CONNECT: password, authentication data, a secret-named user property and a will's secret user property are starred; the rest and every length stay")
    func connect() throws {
        let will = ApplicationMessage(
            topic: topicName("w"), payload: ByteBuffer(string: "gone"),
            properties: Self.properties([.userProperty(name: "Session-Key", value: "will-secret")])
        )
        let packet = MQTTPacket.connect(
            ConnectPacket(
                protocolLevel: 5, clientID: "c", will: will, username: "u", password: ByteBuffer(string: "hunter2"),
                properties: Self.properties([
                    .authenticationMethod("PLAIN"), .authenticationData(ByteBuffer(string: "auth-bytes")),
                    .userProperty(name: "api-token", value: "tok-123"), .userProperty(name: "site", value: "tok-123"),
                ])
            )
        )
        let (bytes, masked, decoded) = try Self.masked(packet)
        #expect(masked.count == bytes.count)
        let text = String(decoding: masked, as: UTF8.self)
        for secret in ["hunter2", "auth-bytes", "will-secret"] { #expect(!text.contains(secret), "\(secret)") }
        guard case .connect(let connect) = decoded else {
            Issue.record("the masked CONNECT no longer decodes: \(String(describing: decoded))")
            return
        }
        #expect(connect.passwordText == "*******")
        #expect(connect.properties.first(.authenticationData) == .authenticationData(ByteBuffer(string: "**********")))
        // Only the secret-named property's value: the same value under an ordinary name stays.
        #expect(connect.properties.userProperties.map { "\($0.name)=\($0.value)" } == ["api-token=*******", "site=tok-123"])
        #expect(connect.properties.first(.authenticationMethod) == .authenticationMethod("PLAIN"))
        #expect(connect.will?.properties.userProperties.map(\.value) == ["***********"])
        #expect(connect.will.map { String(buffer: $0.payload) } == "gone")
    }

    @Test("a 3.1.1 CONNECT: only the password, as before")
    func connect311() throws {
        let packet = MQTTPacket.connect(ConnectPacket(clientID: "c", username: "u", password: ByteBuffer(string: "SharedAccessSignature sr=x")))
        let (bytes, masked, _) = try Self.masked(packet, version: .v311)
        #expect(Array(masked.suffix(26)) == Array(repeating: UInt8(ascii: "*"), count: 26))
        #expect(Array(masked.prefix(bytes.count - 26)) == Array(bytes.prefix(bytes.count - 26)))
    }

    @Test("a PUBLISH: a secret-named user property's value is starred, its payload and other properties stay; AUTH's data too")
    func publishAndAuth() throws {
        let publish = MQTTPacket.publish(
            PublishPacket(
                topic: topicName("t"), payload: ByteBuffer(string: "sig-value in the payload stays"),
                properties: Self.properties([.userProperty(name: "SAS", value: "sig-value"), .contentType("text/plain")])
            )
        )
        let (_, masked, decoded) = try Self.masked(publish)
        guard case .publish(let message) = decoded else {
            Issue.record("the masked PUBLISH no longer decodes")
            return
        }
        #expect(message.properties.userProperties.map(\.value) == ["*********"])
        #expect(String(buffer: message.payload) == "sig-value in the payload stays")
        #expect(message.properties.first(.contentType) == .contentType("text/plain"))
        #expect(masked.count == (try publish.encoded(version: .v5)).readableBytes)

        let auth = MQTTPacket.auth(AuthPacket(reasonCode: .continueAuthentication, properties: Self.properties([.authenticationMethod("SCRAM"), .authenticationData(ByteBuffer(bytes: [0, 1, 2, 0x16]))])))
        let (_, _, decodedAuth) = try Self.masked(auth)
        #expect(decodedAuth?.properties.first(.authenticationData) == .authenticationData(ByteBuffer(string: "****")))
    }

    @Test("a packet without secrets is returned as it was")
    func nothingToMask() throws {
        let packet = MQTTPacket.puback(PublishAckPacket(packetID: 7, reasonCode: .noMatchingSubscribers, properties: Self.properties([.reasonString("token: none")])))
        let (bytes, masked, _) = try Self.masked(packet)
        #expect(masked == bytes)
    }

    @Test("the version a connection adopts from its first packet: 5.0 for a decoded level-5 CONNECT, 3.1.1 for any other CONNECT, none otherwise")
    func adoptedVersion() {
        #expect(MQTTProtocolVersion(adoptedFrom: .connect(ConnectPacket(protocolLevel: 5, clientID: "c"))) == .v5)
        #expect(MQTTProtocolVersion(adoptedFrom: .connect(ConnectPacket(clientID: "c"))) == .v311)
        #expect(MQTTProtocolVersion(adoptedFrom: .connect(ConnectPacket(protocolLevel: 3, clientID: "c"))) == .v311)
        #expect(MQTTProtocolVersion(adoptedFrom: .connect(ConnectPacket(protocolLevel: 5, clientID: "", undecodedFields: ByteBuffer(bytes: [0])))) == .v311)
        #expect(MQTTProtocolVersion(adoptedFrom: .pingreq) == nil)
    }

    @Test("summaries: a 5.0 CONNECT says clean_start; a CONNACK refusal 3.1.1 cannot name has no return_code; SUBACK codes by number and name")
    func summaries() {
        #expect(MQTTPacket.connect(ConnectPacket(protocolLevel: 5, clientID: "c", keepAlive: 5)).summary == "client_id=c protocol=MQTT/5 clean_start=1 keepalive=5")
        #expect(MQTTPacket.connect(ConnectPacket(clientID: "c", keepAlive: 5)).summary == "client_id=c protocol=MQTT/4 clean_session=1 keepalive=5")
        #expect(MQTTPacket.connack(ConnAckPacket(reasonCode: .banned)).summary == "session_present=0 reason=0x8A(banned)")
        #expect(MQTTPacket.connack(ConnAckPacket(reasonCode: .notAuthorized)).summary == "session_present=0 return_code=5 (not_authorized)")
        let suback = SubAckPacket(packetID: 1, reasonCodes: [.grantedQoS1, .unspecifiedError, .quotaExceeded])
        #expect(suback.codesSummary == "1,0x80,0x97(quota_exceeded)")
        let publish = MQTTPacket.publish(PublishPacket(topic: topicName("t"), payload: ByteBuffer(string: "x"), properties: Self.properties([.userProperty(name: "k", value: "v")])))
        #expect(publish.version5Summary == "properties=[user_property=k:v]")
        #expect(publish.version5Fields.map { "\($0.name)|\($0.value)" } == ["properties|user_property=k:v"])
        #expect(MQTTPacket.puback(packetID: 1).version5Fields.isEmpty)
    }
}
