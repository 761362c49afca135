import HarnessTestSupport
import MQTTCore
import NIOCore
import NIOEmbedded
import Testing

/// The codec handler speaking MQTT 5.0: configured so (a client), or adopting the version of
/// the CONNECT it receives (a server that speaks both).
@Suite struct MQTT5CodecHandlerTests {
    static let connect5 = "10 0e 0004 4d515454 05 02 003c 00 0001 63"
    static let connect311 = "10 0d 0004 4d515454 04 02 003c 0001 63"
    static let publish5 = "30 07 0000 03 230005 78"

    @Test("a server that adopts the CONNECT's version: level 5 switches decoding and encoding to MQTT 5.0")
    func adoptsVersion5() throws {
        let handler = MQTTCodecHandler(configuration: .init(adoptsConnectVersion: true))
        let channel = EmbeddedChannel(handler: handler)
        #expect(handler.protocolVersion == .v311)
        // The CONNECT and an MQTT 5.0 PUBLISH (empty topic, Topic Alias) in one read.
        try channel.writeInbound(Hex.buffer(Self.connect5 + Self.publish5))
        #expect(try channel.readInbound(as: MQTTPacket.self) == .connect(ConnectPacket(protocolLevel: 5, clientID: "c", keepAlive: 60)))
        #expect(handler.protocolVersion == .v5)
        guard case .publish(let publish)? = try channel.readInbound(as: MQTTPacket.self) else {
            Issue.record("no PUBLISH")
            return
        }
        #expect(publish.properties.topicAlias == 5)
        try channel.writeOutbound(MQTTPacket.connack(ConnAckPacket(reasonCode: .success, properties: try MQTTProperties([.topicAliasMaximum(10)]))))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == Hex.buffer("20 06 00 00 03 22000a"))
        try channel.writeOutbound(MQTTPacket.disconnect(DisconnectPacket(reasonCode: .sessionTakenOver)))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == Hex.buffer("e0 01 8e"))
        _ = try channel.finish()
    }

    @Test("a server that adopts the CONNECT's version stays 3.1.1 for a level-4 CONNECT")
    func adoptsVersion311() throws {
        let handler = MQTTCodecHandler(configuration: .init(adoptsConnectVersion: true))
        let channel = EmbeddedChannel(handler: handler)
        try channel.writeInbound(Hex.buffer(Self.connect311))
        #expect(try channel.readInbound(as: MQTTPacket.self) == .connect(ConnectPacket(clientID: "c", keepAlive: 60)))
        #expect(handler.protocolVersion == .v311)
        try channel.writeOutbound(MQTTPacket.connack(ConnAckPacket(returnCode: .notAuthorized)))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == Hex.buffer("20 02 00 05"))
        // An MQTT 5.0 PUBLISH is not 3.1.1: its property length is read as payload.
        try channel.writeInbound(Hex.buffer("30 05 0001 61 00 78"))
        guard case .publish(let publish)? = try channel.readInbound(as: MQTTPacket.self) else {
            Issue.record("no PUBLISH")
            return
        }
        #expect(publish.payload == ByteBuffer(bytes: [0, 0x78]))
        _ = try channel.finish()
    }

    @Test("a server that adopts the CONNECT's version reads a first packet that is no CONNECT in 3.1.1: type 15 is reserved there, not a 5.0 AUTH")
    func firstPacketNotConnect() throws {
        let handler = MQTTCodecHandler(configuration: .init(adoptsConnectVersion: true))
        let channel = EmbeddedChannel(handler: handler)
        #expect(throws: MQTTDecodingError.self) { try channel.writeInbound(Hex.buffer("f0 00")) }
        #expect(handler.protocolVersion == .v311)
        _ = try? channel.finish()
    }

    @Test("a 3.1.1 server (the default) keeps a level-5 CONNECT undecoded and answers in 3.1.1 framing")
    func stays311() throws {
        let handler = MQTTCodecHandler()
        let channel = EmbeddedChannel(handler: handler)
        try channel.writeInbound(Hex.buffer(Self.connect5))
        guard case .connect(let connect)? = try channel.readInbound(as: MQTTPacket.self) else {
            Issue.record("no CONNECT")
            return
        }
        #expect(connect.protocolLevel == 5 && connect.undecodedFields != nil)
        #expect(handler.protocolVersion == .v311)
        try channel.writeOutbound(MQTTPacket.connack(ConnAckPacket(returnCode: .unacceptableProtocolVersion)))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == Hex.buffer("20 02 00 01"))
        _ = try channel.finish()
    }

    @Test("a client configured for MQTT 5.0 encodes and decodes in it; malformed input is an MQTT 5.0 error")
    func client5() throws {
        let channel = EmbeddedChannel(handler: MQTTCodecHandler(configuration: .init(protocolVersion: .v5)))
        try channel.writeOutbound(MQTTPacket.connect(ConnectPacket(protocolLevel: 5, clientID: "c", keepAlive: 60)))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == Hex.buffer(Self.connect5))
        try channel.writeInbound(Hex.buffer("20 03 00 87 00"))
        #expect(try channel.readInbound(as: MQTTPacket.self) == .connack(ConnAckPacket(reasonCode: .notAuthorized)))
        #expect(throws: MQTTDecodingError.mqtt5(.invalidReasonCode(.disconnect, 0x18))) { try channel.writeInbound(Hex.buffer("e0 01 18")) }
        _ = try? channel.finish()
    }

    @Test("a packet the configured version cannot carry fails the write")
    func writeFails() throws {
        let channel = EmbeddedChannel(handler: MQTTCodecHandler())
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.writeAndFlush(MQTTPacket.auth(AuthPacket()), promise: promise)
        #expect(throws: MQTTEncodingError.version5Only("AUTH")) { try promise.futureResult.wait() }
        _ = try channel.finish()
    }
}
