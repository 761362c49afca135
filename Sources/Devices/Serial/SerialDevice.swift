import Foundation
import IoTHubCore
import MQTTClient
import MQTTClientCore
import MQTTCore
import Synchronization

/// A MicroPython board on a serial port (for example an ESP8266 on `/dev/ttyUSB0` at
/// 115200 baud). The harness talks the raw REPL (``RawREPLMachine``): it stops whatever runs,
/// soft-resets the board, uploads the hub's root certificate when there is one, and runs the
/// firmware file behind the prelude (``MicroPythonPrelude``) and a `config` module with the
/// connection facts. The board's output is read like a process device's: the line protocol
/// gives pin writes, LED and MQTT traffic. Between runs the board is interrupted and
/// soft-reset; with ``Configuration/resume`` it is never soft-reset (mpremote's `resume`).
public final class SerialDevice: OutputTailing {
    /// The board and what it runs.
    public struct Configuration: Sendable, Hashable {
        public var port: SerialPortSettings
        /// The firmware's MicroPython source (the seed's main.py).
        public var firmware: String
        /// Extra values of the firmware's `config` module, for example `WIFI_SSID`.
        public var config: [String: String]
        /// The hub's root certificate file; uploaded to the board as `ca.pem` and offered as
        /// `config.CERT_PATH` (TLS). `nil` on plain TCP.
        public var caFile: String?
        /// How to read the output.
        public var output: FirmwareOutputConfiguration
        /// How long the board may take to answer a raw REPL command. Default: 5 s.
        public var answerTimeout: Duration
        /// Pause after each 256-byte chunk of code, as mpremote does. Default: 10 ms.
        public var pacing: Duration
        /// Runs the firmware in the interpreter as it is, without the soft reset before and
        /// between runs (mpremote's `resume`): for a board whose reset would drop state, and for
        /// the MicroPython unix port, whose raw REPL exits on `\x04` where a board resets.
        public var resume: Bool

        public init(
            port: SerialPortSettings,
            firmware: String,
            config: [String: String] = [:],
            caFile: String? = nil,
            output: FirmwareOutputConfiguration = FirmwareOutputConfiguration(),
            answerTimeout: Duration = .seconds(5),
            pacing: Duration = .milliseconds(10),
            resume: Bool = false
        ) {
            self.port = port
            self.firmware = firmware
            self.config = config
            self.caFile = caFile
            self.output = output
            self.answerTimeout = answerTimeout
            self.pacing = pacing
            self.resume = resume
        }
    }

    private struct State {
        var connection: SerialConnection?
        var request: ConnectRequest?
        var stopping = false
    }

    public let id: DeviceID
    public let configuration: Configuration
    private let tokenSource: (any TokenSource)?
    private let monitor: FirmwareMonitor
    private let state = Mutex(State())

    /// Creates a device; the port is opened by the first `connect`.
    public init(
        id: DeviceID,
        configuration: Configuration,
        tokenSource: (any TokenSource)? = nil,
        monotonic: any MonotonicClock = SystemMonotonicClock(),
        observer: (@Sendable (DeviceEventRecord) -> Void)? = nil,
        tap: (any PacketTap)? = nil
    ) {
        self.id = id
        self.configuration = configuration
        self.tokenSource = tokenSource
        self.monitor = FirmwareMonitor(deviceID: id, configuration: configuration.output, monotonic: monotonic, observer: observer, tap: tap)
    }

    /// The last `count` lines the board printed, secrets masked.
    public func outputTail(lines count: Int) -> [String] {
        monitor.tail(count)
    }

    public func connect(_ request: ConnectRequest) async throws -> OperationOutcome {
        if !monitor.isRunning {
            if state.withLock({ $0.request != nil }) {
                let reason = monitor.endReason ?? "it ended"
                return .connectionEnded(reason: "the program on the board has stopped (\(reason)); a restart step runs it again")
            }
            do {
                try await run(request)
            } catch {
                monitor.end(reason: "\(error)", expected: false)
                return .connectionEnded(reason: "\(error)")
            }
        }
        return await monitor.waitForConnection()
    }

    public func subscribe(to filter: TopicFilter, qos: MQTTQoS) async throws -> OperationOutcome {
        await monitor.waitForSubscription(to: filter, qos: qos)
    }

    public func unsubscribe(from filter: TopicFilter) async throws -> OperationOutcome {
        .unsupported(reason: "a board's firmware decides what it subscribes to")
    }

    public func publish(_ topic: TopicName, payload: String, qos: MQTTQoS, retain: Bool) async throws -> OperationOutcome {
        .unsupported(reason: "a board's firmware decides what it publishes; expect its telemetry instead")
    }

    public func disconnect() async throws {
        throw DeviceError.unsupported(id, reason: "a board's firmware decides when it disconnects; use restart or end the scenario")
    }

    public func restart() async throws {
        guard let request = state.withLock({ $0.request }) else { throw DeviceError.notConnected(id) }
        try await stopProgram()
        monitor.report(.restarted)
        try await run(request)
    }

    public func shutdown() async {
        try? await stopProgram()
        let connection = state.withLock { state in
            defer { state.connection = nil }
            return state.connection
        }
        if let connection {
            _ = try? await connection.run({ $0.exitRawREPL() }, expecting: "friendly REPL", timeout: .seconds(1))
            connection.close()
        }
    }

    // MARK: Running the firmware

    private func run(_ request: ConnectRequest) async throws {
        let firmware: String
        do {
            firmware = try String(contentsOfFile: configuration.firmware, encoding: .utf8)
        } catch {
            throw SerialPortError(path: configuration.port.path, reason: "cannot read the firmware \(configuration.firmware): \(error.localizedDescription)")
        }
        let connection = try openConnection()
        let softReset = !configuration.resume
        _ = try await connection.run({ $0.enterRawREPL(softReset: softReset) }, expecting: "raw REPL prompt", timeout: configuration.answerTimeout)
        var certificatePath = ""
        let usesTLS = request.tls != nil || configuration.caFile != nil
        let caFile = configuration.caFile ?? request.tls?.caFile
        if usesTLS, caFile == nil {
            throw SerialPortError(
                path: configuration.port.path,
                reason: "the hub wants TLS and the board needs its root certificate: give the device a 'ca_file' (for Azure IoT Hub: DigiCert Global Root G2)"
            )
        }
        if let caFile {
            certificatePath = "ca.pem"
            try await upload(file: caFile, as: certificatePath, over: connection)
        }
        let password = try await tokenSource?.token().password ?? request.password ?? ""
        var values: [(name: String, value: MicroPythonPrelude.ConfigValue)] = [
            ("HOST", .string(request.host)), ("PORT", .integer(request.port)), ("DEVICE_ID", .string(request.clientID)),
            ("USERNAME", .string(request.username ?? "")), ("PASSWORD", .string(password)),
            ("SSL", .boolean(usesTLS)), ("CERT_PATH", .string(certificatePath)),
            ("WIFI_SSID", .string(configuration.config["WIFI_SSID"] ?? "")), ("WIFI_PASSWORD", .string(configuration.config["WIFI_PASSWORD"] ?? "")),
        ]
        for (name, value) in configuration.config.sorted(by: { $0.key < $1.key }) where !["WIFI_SSID", "WIFI_PASSWORD"].contains(name) {
            values.append((name, .string(value)))
        }
        let program = MicroPythonPrelude.source + "\n" + MicroPythonPrelude.configModule(values) + "\n" + firmware
        monitor.begin(host: request.host, port: request.port, secrets: [password, configuration.config["WIFI_PASSWORD"] ?? ""])
        state.withLock { state in
            state.request = request
            state.stopping = false
        }
        try await connection.start(program, timeout: configuration.answerTimeout)
    }

    private func openConnection() throws -> SerialConnection {
        if let connection = state.withLock({ $0.connection }) { return connection }
        let monitor = self.monitor
        let connection = try SerialConnection(
            settings: configuration.port,
            pacing: configuration.pacing,
            onLine: { line in monitor.consume(line: line) },
            onProgramEnd: { [weak self] errorOutput in self?.programEnded(errorOutput: errorOutput) }
        )
        state.withLock { $0.connection = connection }
        return connection
    }

    /// The firmware ended by itself (an exception, or the end of the file).
    private func programEnded(errorOutput: String) {
        let expected = state.withLock { $0.stopping }
        let last = errorOutput.split(whereSeparator: \.isNewline).last.map(String.init)
        let reason = last.map { "the program on the board stopped: \($0)" } ?? "the program on the board ended"
        monitor.end(reason: monitor.masked(reason), expected: expected)
    }

    /// Interrupts the running program (Ctrl-C) and soft-resets the board (not with `resume`).
    private func stopProgram() async throws {
        guard let connection = state.withLock({ state -> SerialConnection? in
            state.stopping = true
            return state.connection
        }) else { return }
        if connection.isRunning {
            _ = try await connection.run({ $0.interrupt() }, expecting: "end of the program after Ctrl-C", timeout: configuration.answerTimeout)
            monitor.end(reason: "stopped by the harness", expected: true)
        }
        guard !configuration.resume else { return }
        _ = try await connection.run({ $0.softReset() }, expecting: "raw REPL prompt after the soft reset", timeout: configuration.answerTimeout)
    }

    /// Writes a file to the board's filesystem through the raw REPL.
    private func upload(file: String, as name: String, over connection: SerialConnection) async throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw SerialPortError(path: configuration.port.path, reason: "cannot read \(file): \(error.localizedDescription)")
        }
        var code = "f = open(\(MicroPythonPrelude.ConfigValue.string(name).pythonLiteral), 'wb')\n"
        var offset = 0
        while offset < data.count {
            let chunk = data[data.index(data.startIndex, offsetBy: offset)..<data.index(data.startIndex, offsetBy: min(offset + 64, data.count))]
            code += "f.write(b'" + chunk.map { String(format: "\\x%02x", $0) }.joined() + "')\n"
            offset += 64
        }
        code += "f.close()\n"
        let completion = try await connection.run({ $0.execute(code) }, expecting: "end of the upload", timeout: configuration.answerTimeout * 4, paced: true)
        if case .executed(let errorOutput) = completion, !errorOutput.isEmpty {
            throw SerialPortError(path: configuration.port.path, reason: "uploading \(name) failed: \(errorOutput.split(whereSeparator: \.isNewline).last ?? "")")
        }
    }
}
