import HarnessTestSupport
import MQTTCore
import NIOCore
import Testing

/// The packets the seed firmware sends, byte for byte as umqtt.simple 1.3.4 builds them
/// (vectors produced by a transcription of its `connect()` and `subscribe()`).
@Suite struct SeedPacketTests {
    static let username = "yourIotHub.azure-devices.net/esp8266/?api-version=2018-06-30"
    static let password = "SharedAccessSignature sr=yourIotHub.azure-devices.net%2Fdevices%2Fesp8266&sig=bSpX6UMM5hdUKXHfTagZF7cNKDwKnp7I3Oi9LWTZpXI%3D&se=1574590568"

    static let connectBytes = """
        10dd0100044d51545404c00fa0000765737038323636003c796f7572496f744875622e617a7572652d646576696365732e6e65742f\
        657370383236362f3f6170692d76657273696f6e3d323031382d30362d3330008a5368617265644163636573735369676e61747572\
        652073723d796f7572496f744875622e617a7572652d646576696365732e6e65742532466465766963657325324665737038323636\
        267369673d6253705836554d4d356864554b5848665461675a4637634e4b44774b6e703749334f69394c57545a7058492533442673\
        653d31353734353930353638
        """

    static var connect: MQTTPacket {
        .connect(
            ConnectPacket(
                clientID: "esp8266",
                cleanSession: false,
                keepAlive: 4000,
                username: username,
                password: ByteBuffer(string: password)
            )
        )
    }

    @Test("the seed's CONNECT encodes byte for byte: level 4, flags 0xC0, keep-alive 0x0FA0")
    func connectEncodes() throws {
        let bytes = Array(try Self.connect.encoded().readableBytesView)
        #expect(Hex.string(bytes) == Hex.string(Hex.bytes(Self.connectBytes)))
        // Fixed header 0x10, two remaining-length bytes, then "\0\x04MQTT".
        #expect(bytes[0] == 0x10)
        #expect(bytes[9] == 4)
        #expect(bytes[10] == 0xC0)
        #expect(bytes[11] == 0x0F && bytes[12] == 0xA0)
    }

    @Test("the seed's CONNECT decodes to the same packet")
    func connectDecodes() throws {
        var buffer = Hex.buffer(Self.connectBytes)
        let packet = try MQTTPacket.decode(from: &buffer)
        #expect(packet == Self.connect)
        #expect(buffer.readableBytes == 0)
        guard case .connect(let connect) = packet else {
            Issue.record("not a CONNECT")
            return
        }
        #expect(connect.passwordText == Self.password)
        #expect(connect.flags == 0xC0)
    }

    @Test("the seed's SUBSCRIBE: packet id 1, QoS 0")
    func subscribeEncodes() throws {
        let packet = MQTTPacket.subscribe(
            SubscribePacket(packetID: 1, subscriptions: [.init(filter: topicFilter("devices/esp8266/messages/devicebound/#"), qos: .atMostOnce)])
        )
        let bytes = try packet.encoded().readableBytesView
        #expect(Hex.string(bytes) == "822b00010026646576696365732f657370383236362f6d657373616765732f646576696365626f756e642f2300")
    }
}
