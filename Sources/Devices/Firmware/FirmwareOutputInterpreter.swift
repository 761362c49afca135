import Foundation
import MQTTCore
import NIOCore

/// Regular expressions that read a device's state from ordinary output lines, for firmware
/// that does not speak the line protocol, for example `led: { on: "LED on", off: "LED off" }`.
/// A line matches when the expression is found anywhere in it.
public struct OutputPatterns: Sendable, Hashable {
    public var ledOn: String?
    public var ledOff: String?
    /// A line that says the device is connected to its broker.
    public var connected: String?
    /// A line that says the device lost its connection.
    public var disconnected: String?
    /// A line that says the firmware finished its setup and waits for messages (the seed
    /// prints `connected...` after subscribing and flashing its LED). When given, a `connect`
    /// step waits for it.
    public var ready: String?

    public init(ledOn: String? = nil, ledOff: String? = nil, connected: String? = nil, disconnected: String? = nil, ready: String? = nil) {
        self.ledOn = ledOn
        self.ledOff = ledOff
        self.connected = connected
        self.disconnected = disconnected
        self.ready = ready
    }

    /// Why `pattern` is not a valid regular expression, or `nil` when it is.
    public static func problem(with pattern: String) -> String? {
        do {
            _ = try Regex(pattern)
            return nil
        } catch {
            return "'\(pattern)' is not a valid regular expression: \(error)"
        }
    }
}

/// How the harness reads a firmware's output.
public struct FirmwareOutputConfiguration: Sendable, Hashable {
    /// The GPIO whose writes are the status LED (`@harness pin <gpio> 1` switches it on).
    public var ledPin: Int?
    public var patterns: OutputPatterns

    public init(ledPin: Int? = nil, patterns: OutputPatterns = OutputPatterns()) {
        self.ledPin = ledPin
        self.patterns = patterns
    }
}

/// Turns a firmware's output lines into device events and the MQTT packets its tap lines
/// carry. Pure: the caller stamps the results with the time the line was read.
public struct FirmwareOutputInterpreter {
    /// What one line meant.
    public struct Interpretation: Sendable, Hashable {
        public var events: [DeviceEvent] = []
        /// Whole packets the line completed.
        public var packets: [DecodedPacket] = []
        /// The connection number the packets belong to (counts `@harness net connect`).
        public var connection: UInt64 = 0
    }

    /// A packet read from `@harness mqtt` lines, with its direction seen from the device and
    /// its size on the wire.
    public struct DecodedPacket: Sendable, Hashable {
        public var packet: MQTTPacket
        public var direction: PacketDirection
        public var size: Int
        /// The packet's bytes exactly as the firmware wrote or read them.
        public var bytes: ByteBuffer
    }

    public let configuration: FirmwareOutputConfiguration
    /// Texts masked as `***` in every output line (passwords, keys).
    public var secrets: [String]
    /// Where the firmware connects, for the `connecting` event.
    public var host: String
    public var port: Int
    private var isLEDOn = false
    private var connection: UInt64 = 0
    private var inbound = ByteBuffer()
    private var outbound = ByteBuffer()
    private var decodingFailed = false
    private let regexes: [(kind: PatternKind, regex: Regex<AnyRegexOutput>)]

    enum PatternKind {
        case ledOn, ledOff, connected, disconnected, ready
    }

    public init(configuration: FirmwareOutputConfiguration, secrets: [String] = [], host: String = "", port: Int = 0) {
        self.configuration = configuration
        self.secrets = secrets.filter { !$0.isEmpty }
        self.host = host
        self.port = port
        let patterns = configuration.patterns
        var regexes: [(PatternKind, Regex<AnyRegexOutput>)] = []
        for (kind, text) in [(PatternKind.ledOn, patterns.ledOn), (.ledOff, patterns.ledOff), (.connected, patterns.connected), (.disconnected, patterns.disconnected), (.ready, patterns.ready)] {
            if let text, let regex = try? Regex(text) { regexes.append((kind, regex)) }
        }
        self.regexes = regexes
    }

    /// The LED state after every line so far (it starts off).
    public var ledState: Bool { isLEDOn }

    /// The device lost power: the LED is off again.
    /// - Returns: the LED event, when it was on.
    public mutating func powerCycled() -> DeviceEvent? {
        guard isLEDOn else { return nil }
        return led(false)
    }

    /// `line` with every secret replaced by `***`.
    public func masked(_ line: String) -> String {
        var text = line
        for secret in secrets { text = text.replacingOccurrences(of: secret, with: "***") }
        return text
    }

    /// What `line` (without its line break) means.
    public mutating func interpret(_ line: String) -> Interpretation {
        var result = Interpretation()
        var text = Substring(line)
        while text.last == "\r" { text.removeLast() }
        guard let parsed = HarnessLine.parse(text) else {
            result.events.append(.output(line: masked(String(text))))
            for (kind, regex) in regexes where (try? regex.firstMatch(in: String(text))) != nil {
                switch kind {
                case .ledOn: result.events.append(led(true))
                case .ledOff: result.events.append(led(false))
                case .connected: result.events.append(.stateReported("connected"))
                case .disconnected: result.events.append(.stateReported("disconnected"))
                case .ready: result.events.append(.stateReported("ready"))
                }
            }
            result.connection = connection
            return result
        }
        switch parsed {
        case .mqtt(let isOutbound, let bytes):
            result.events.append(.output(line: "@harness mqtt \(isOutbound ? "tx" : "rx") (\(bytes.count) bytes)"))
            decode(bytes, isOutbound: isOutbound, into: &result)
        default:
            result.events.append(.output(line: masked(String(text))))
        }
        switch parsed {
        case .pin(let pin, let isHigh):
            result.events.append(.pinWritten(pin: pin, value: isHigh))
            if pin == configuration.ledPin { result.events.append(led(isHigh)) }
        case .led(let isOn):
            result.events.append(led(isOn))
        case .state(let word):
            result.events.append(.stateReported(word))
        case .netConnect:
            connection += 1
            inbound.clear()
            outbound.clear()
            decodingFailed = false
            result.events.append(.connecting(host: host, port: port))
        case .netConnected:
            result.events.append(.transportConnected)
        case .netClosed(let reason):
            result.events.append(.disconnected(reason: reason ?? "connection closed"))
        case .mqtt, .malformed:
            break
        }
        result.connection = connection
        return result
    }

    private mutating func led(_ isOn: Bool) -> DeviceEvent {
        let changed = isOn != isLEDOn
        isLEDOn = isOn
        return .led(isOn: isOn, changed: changed)
    }

    private mutating func decode(_ bytes: [UInt8], isOutbound: Bool, into result: inout Interpretation) {
        guard !decodingFailed else { return }
        var buffer = isOutbound ? outbound : inbound
        buffer.writeBytes(bytes)
        defer {
            buffer.discardReadBytes()
            if isOutbound { outbound = buffer } else { inbound = buffer }
        }
        while true {
            let start = buffer.readerIndex
            let before = buffer
            let packet: MQTTPacket?
            do {
                packet = try MQTTPacket.decode(from: &buffer, maximumPacketSize: 268_435_460)
            } catch {
                decodingFailed = true
                result.events.append(.output(line: "@harness: the MQTT bytes \(isOutbound ? "sent" : "received") do not decode: \(error)"))
                return
            }
            guard let packet else { return }
            let size = buffer.readerIndex - start
            let bytes = before.getSlice(at: start, length: size) ?? ByteBuffer()
            result.packets.append(DecodedPacket(packet: packet, direction: isOutbound ? .outbound : .inbound, size: size, bytes: bytes))
            guard !isOutbound else { continue }
            switch packet {
            case .connack(let connack): result.events.append(.connAckReceived(connack))
            case .suback(let suback): result.events.append(.subAckReceived(suback))
            case .publish(let publish): result.events.append(.messageReceived(topic: publish.topic, payload: publish.payload, qos: publish.qos))
            default: break
            }
        }
    }
}
