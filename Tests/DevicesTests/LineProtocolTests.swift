import Devices
import HarnessTestSupport
import MQTTCore
import NIOCore
import Testing

/// The harness line protocol and how a firmware's output becomes device events.
@Suite struct LineProtocolTests {
    @Test(
        "protocol lines parse",
        arguments: [
            ("@harness pin 2 1", HarnessLine.pin(2, isHigh: true)),
            ("@harness pin 5 0\r", .pin(5, isHigh: false)),
            ("@harness led on", .led(isOn: true)),
            ("@harness led off", .led(isOn: false)),
            ("@harness state connected", .state("connected")),
            ("@harness net connect", .netConnect),
            ("@harness net connected", .netConnected),
            ("@harness net closed end of stream", .netClosed(reason: "end of stream")),
            ("@harness net closed", .netClosed(reason: nil)),
            ("@harness mqtt rx 20020000", .mqtt(isOutbound: false, bytes: [0x20, 0x02, 0x00, 0x00])),
            ("@harness mqtt tx C000", .mqtt(isOutbound: true, bytes: [0xC0, 0x00])),
        ]
    )
    func valid(line: String, parsed: HarnessLine) {
        #expect(HarnessLine.parse(line) == parsed)
    }

    @Test(
        "malformed protocol lines say what is wrong",
        arguments: [
            ("@harness pin x 1", "expected '@harness pin <gpio number> <0|1>'"),
            ("@harness pin 2 on", "pin value 'on' is not 0 or 1"),
            ("@harness led maybe", "expected '@harness led <on|off>'"),
            ("@harness mqtt rx 2", "'@harness mqtt' needs an even number of hex digits"),
            ("@harness mqtt rx zz", "'@harness mqtt' needs an even number of hex digits"),
            ("@harness blink", "unknown word 'blink'; known: pin, led, state, net, mqtt"),
            ("@harness ", "nothing after '@harness'"),
        ]
    )
    func malformed(line: String, reason: String) {
        #expect(HarnessLine.parse(line) == .malformed(reason: reason))
    }

    @Test("ordinary output is not a protocol line", arguments: ["connected...", "harness pin 2 1", " @harness pin 2 1", "@harnesspin 2 1"])
    func ordinary(line: String) {
        #expect(HarnessLine.parse(line) == nil)
    }

    @Test("pin writes of the LED pin switch the LED; other pins are only pins")
    func ledPin() {
        var interpreter = FirmwareOutputInterpreter(configuration: FirmwareOutputConfiguration(ledPin: 5))
        #expect(interpreter.interpret("@harness pin 2 1").events == [.output(line: "@harness pin 2 1"), .pinWritten(pin: 2, value: true)])
        #expect(interpreter.interpret("@harness pin 5 1").events.last == .led(isOn: true, changed: true))
        #expect(interpreter.interpret("@harness pin 5 1").events.last == .led(isOn: true, changed: false))
        #expect(interpreter.interpret("@harness pin 5 0").events.last == .led(isOn: false, changed: true))
    }

    @Test("patterns read the LED and the state from ordinary lines")
    func patterns() {
        let patterns = OutputPatterns(ledOn: "LED (is )?on", ledOff: "LED off", connected: "^MQTT up$", ready: "^ready$")
        var interpreter = FirmwareOutputInterpreter(configuration: FirmwareOutputConfiguration(patterns: patterns))
        #expect(interpreter.interpret("status: LED is on").events == [.output(line: "status: LED is on"), .led(isOn: true, changed: true)])
        #expect(interpreter.interpret("LED off").events.last == .led(isOn: false, changed: true))
        #expect(interpreter.interpret("MQTT up").events.last == .stateReported("connected"))
        #expect(interpreter.interpret("ready").events.last == .stateReported("ready"))
        #expect(OutputPatterns.problem(with: "LED (on") != nil)
        #expect(OutputPatterns.problem(with: "LED on") == nil)
    }

    @Test("MQTT tap lines decode across lines into packets and events, and are summarised, never echoed")
    func mqttTap() throws {
        var interpreter = FirmwareOutputInterpreter(configuration: FirmwareOutputConfiguration(), secrets: ["s3cret"], host: "127.0.0.1", port: 8883)
        #expect(interpreter.interpret("@harness net connect").events.last == .connecting(host: "127.0.0.1", port: 8883))
        let connect = try MQTTPacket.connect(ConnectPacket(clientID: "esp8266", cleanSession: false, keepAlive: 4000, username: "u", password: ByteBuffer(string: "s3cret"))).encoded()
        let hex = Hex.string(connect.readableBytesView)
        let half = hex.count / 2 - (hex.count / 2) % 2
        let first = interpreter.interpret("@harness mqtt tx \(hex.prefix(half))")
        #expect(first.packets.isEmpty)
        #expect(first.events == [.output(line: "@harness mqtt tx (\(half / 2) bytes)")])
        let second = interpreter.interpret("@harness mqtt tx \(hex.dropFirst(half))")
        #expect(second.packets.count == 1)
        #expect(second.packets.first?.direction == .outbound)
        #expect(second.packets.first?.size == connect.readableBytes)
        #expect(second.packets.first?.bytes == connect)
        #expect(second.connection == 1)
        let connack = interpreter.interpret("@harness mqtt rx 20020100")
        #expect(connack.events.last == .connAckReceived(ConnAckPacket(sessionPresent: true, returnCode: .accepted)))
        #expect(interpreter.interpret("password is s3cret").events == [.output(line: "password is ***")])
        let garbage = interpreter.interpret("@harness mqtt rx f0")
        #expect(garbage.events.count == 2)
    }

    @Test("connection facts fill ${NAME} for known names only")
    func facts() {
        let facts = ConnectionFacts(values: ["HUB_HOST": "127.0.0.1", "HUB_PORT": "8883", "PASSWORD": "SharedAccessSignature sr=x", "TOKEN_KEY": "k"])
        #expect(facts.substitute(in: "${HUB_HOST}:${HUB_PORT}") == "127.0.0.1:8883")
        #expect(facts.substitute(in: "${CA_FILE}") == "")
        #expect(facts.substitute(in: "${HOME} ${HUB_HOST") == "${HOME} ${HUB_HOST")
        #expect(Set(facts.secrets) == ["SharedAccessSignature sr=x", "k"])
    }

    @Test("config values become safe Python literals")
    func configLiterals() {
        #expect(MicroPythonPrelude.ConfigValue.string("a'b\\c\nd").pythonLiteral == #"'a\'b\\c\nd'"#)
        #expect(MicroPythonPrelude.ConfigValue.string("é").pythonLiteral == #"'\xe9'"#)
        #expect(MicroPythonPrelude.ConfigValue.integer(8883).pythonLiteral == "8883")
        #expect(MicroPythonPrelude.ConfigValue.boolean(true).pythonLiteral == "True")
        let module = MicroPythonPrelude.configModule([("HOST", .string("127.0.0.1")), ("PORT", .integer(1883))])
        #expect(module.contains("    config.HOST = '127.0.0.1'\n    config.PORT = 1883\n"))
        #expect(module.contains("sys.modules['config'] = config"))
    }
}
