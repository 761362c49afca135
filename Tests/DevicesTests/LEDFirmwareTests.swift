import Devices
import HarnessTestSupport
import MQTTCore
import NIOCore
import Testing

@Suite struct LEDFirmwareTests {
    @Test("payload 'on' switches the LED on, any other payload off", arguments: [("on", true), ("off", false), ("ON", false), ("on ", false), ("", false), ("blink", false)])
    func callback(payload: String, isOn: Bool) {
        var firmware = LEDFirmware()
        _ = firmware.handleMessage(topic: topicName("t"), payload: ByteBuffer(string: "on"))
        let result = firmware.handleMessage(topic: topicName("t"), payload: ByteBuffer(string: payload))
        #expect(result.isOn == isOn)
        #expect(result.changed == !isOn)
        #expect(firmware.isOn == isOn)
    }
}
