import Foundation
import IoTHubCore
import MQTTClient
import MQTTClientCore
import MQTTCore
import Synchronization

/// A device whose firmware runs as a process on this machine, for example the seed's
/// MicroPython code with the real umqtt.simple, on CPython shims or on the MicroPython unix port
/// (``FirmwareRuntime``). The harness starts it with
/// the connection facts (``ConnectionFacts``) in its environment (always, under their own
/// names, plus `PYTHONUNBUFFERED=1`) and wherever its arguments or configured environment
/// say `${NAME}`, and reads
/// its state from its output: the line protocol (``HarnessLine``) and the scenario's patterns.
///
/// The firmware connects and subscribes by itself; `connect` starts it and waits until it is
/// connected (and `ready`, when a ready line is configured), `subscribe` waits until the
/// firmware's own subscription to the filter was acknowledged. A process that exits ends the
/// run with a `crashed` event whose reason carries its last output line.
public final class ProcessDevice: OutputTailing {
    /// How to run the firmware.
    public struct Configuration: Sendable, Hashable {
        /// The program: a path (relative to `workingDirectory`) or a name looked up on `PATH`.
        /// Ignored when `runtime` is given.
        public var command: String
        /// An interpreter the harness finds (`runtime: micropython`) instead of `command`;
        /// `arguments` are then the interpreter's.
        public var runtime: FirmwareRuntime?
        public var arguments: [String]
        /// Variables added to the harness's own environment (values may use `${NAME}`).
        public var environment: [String: String]
        /// Where the process runs; relative paths in `command` start here.
        public var workingDirectory: String
        /// The hub's root certificate file, offered as `${CA_FILE}` (TLS); `nil` on plain TCP.
        public var caFile: String?
        /// A token service the firmware asks itself, offered as `${TOKEN_URL}` and
        /// `${TOKEN_KEY}`; then `${PASSWORD}` is empty.
        public var tokenService: TokenServiceFacts?
        /// How to read the output.
        public var output: FirmwareOutputConfiguration
        /// How long a stopping process gets after SIGTERM before SIGKILL. Default: 2 s.
        public var stopGrace: Duration

        public init(
            command: String,
            runtime: FirmwareRuntime? = nil,
            arguments: [String] = [],
            environment: [String: String] = [:],
            workingDirectory: String = FileManager.default.currentDirectoryPath,
            caFile: String? = nil,
            tokenService: TokenServiceFacts? = nil,
            output: FirmwareOutputConfiguration = FirmwareOutputConfiguration(),
            stopGrace: Duration = .seconds(2)
        ) {
            self.command = command
            self.runtime = runtime
            self.arguments = arguments
            self.environment = environment
            self.workingDirectory = workingDirectory
            self.caFile = caFile
            self.tokenService = tokenService
            self.output = output
            self.stopGrace = stopGrace
        }
    }

    /// A token service a firmware asks for its tokens itself.
    public struct TokenServiceFacts: Sendable, Hashable {
        public var url: String
        /// Secret.
        public var functionKey: String
        public var ttl: Duration

        public init(url: String, functionKey: String, ttl: Duration) {
            self.url = url
            self.functionKey = functionKey
            self.ttl = ttl
        }
    }

    private struct State {
        var process: FirmwareProcess?
        var request: ConnectRequest?
        var preludeDirectory: URL?
    }

    public let id: DeviceID
    public let configuration: Configuration
    private let tokenSource: (any TokenSource)?
    private let monitor: FirmwareMonitor
    private let state = Mutex(State())

    /// Creates a device; nothing runs until the first `connect`.
    /// - Parameters:
    ///   - tokenSource: gives `${PASSWORD}`; `nil` uses the ``ConnectRequest``'s password.
    ///   - observer: receives every device event (every output line included); must not block.
    ///   - tap: receives the MQTT packets the firmware's `@harness mqtt` lines carry.
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

    /// The last `count` lines the firmware printed, secrets masked (for reports).
    public func outputTail(lines count: Int) -> [String] {
        monitor.tail(count)
    }

    /// Whether the firmware process runs now.
    public var isRunning: Bool { monitor.isRunning }

    public func connect(_ request: ConnectRequest) async throws -> OperationOutcome {
        if !monitor.isRunning {
            if state.withLock({ $0.request != nil }) {
                // Like a board whose program died: it stays down until it is restarted.
                let reason = monitor.endReason ?? "it ended"
                return .connectionEnded(reason: "the firmware has stopped (\(reason)); a restart step runs it again")
            }
            do {
                try await start(request)
            } catch {
                return .connectionEnded(reason: "\(error)")
            }
        }
        return await monitor.waitForConnection()
    }

    public func subscribe(to filter: TopicFilter, qos: MQTTQoS) async throws -> OperationOutcome {
        guard monitor.isRunning || state.withLock({ $0.request != nil }) else {
            return .connectionEnded(reason: "the firmware is not running; connect first")
        }
        return await monitor.waitForSubscription(to: filter, qos: qos)
    }

    public func unsubscribe(from filter: TopicFilter) async throws -> OperationOutcome {
        .unsupported(reason: "a process device's firmware decides what it subscribes to")
    }

    public func publish(_ topic: TopicName, payload: String, qos: MQTTQoS, retain: Bool) async throws -> OperationOutcome {
        .unsupported(reason: "a process device's firmware decides what it publishes; expect its telemetry instead")
    }

    public func disconnect() async throws {
        throw DeviceError.unsupported(id, reason: "a process device's firmware decides when it disconnects; use restart or end the scenario")
    }

    public func restart() async throws {
        let (process, request) = state.withLock { state in
            defer { state.process = nil }
            return (state.process, state.request)
        }
        guard let request else {
            throw DeviceError.notConnected(id)
        }
        if let process {
            await process.stop(grace: configuration.stopGrace)
            monitor.powerCycled()
        }
        try await start(request)
    }

    public func shutdown() async {
        let (process, directory) = state.withLock { state in
            defer {
                state.process = nil
                state.preludeDirectory = nil
            }
            return (state.process, state.preludeDirectory)
        }
        await process?.stop(grace: configuration.stopGrace)
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    // MARK: Starting

    private func start(_ request: ConnectRequest) async throws {
        let facts = try await makeFacts(for: request)
        let arguments = configuration.arguments.map { facts.substitute(in: $0) }
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONUNBUFFERED"] = "1"
        for (name, value) in facts.values { environment[name] = value }
        for (name, value) in configuration.environment { environment[name] = facts.substitute(in: value) }
        monitor.begin(host: request.host, port: request.port, secrets: facts.secrets)
        let monitor = self.monitor
        let process: FirmwareProcess
        do {
            let command = try configuration.runtime?.executable(environment: environment, workingDirectory: configuration.workingDirectory)
                ?? facts.substitute(in: configuration.command)
            (configuration.runtime ?? FirmwareRuntime.runtime(ofExecutable: command))?.prepare(&environment)
            process = try FirmwareProcess(
                command: command,
                arguments: arguments,
                environment: environment,
                workingDirectory: configuration.workingDirectory,
                onLine: { line in monitor.consume(line: line) },
                onExit: { description, expected in
                    // The last line that says something: MicroPython ends some tracebacks (mbedTLS
                    // errors) with an empty line.
                    let lastLine = monitor.tail(FirmwareMonitor.tailLimit).last { !$0.allSatisfy(\.isWhitespace) }
                    let last = lastLine.map { "; last output: \($0)" } ?? "; it printed nothing"
                    monitor.end(reason: "the firmware process \(description)\(last)", expected: expected)
                }
            )
        } catch {
            monitor.end(reason: error.message, expected: false)
            throw error
        }
        state.withLock { state in
            state.process = process
            state.request = request
        }
    }

    private func makeFacts(for request: ConnectRequest) async throws -> ConnectionFacts {
        var values: [String: String] = [
            "HUB_HOST": request.host,
            "HUB_PORT": String(request.port),
            "DEVICE_ID": request.clientID,
            "USERNAME": request.username ?? "",
            "HUB_TLS": request.tls == nil ? "0" : "1",
            "CA_FILE": configuration.caFile ?? request.tls.flatMap { $0.caFile ?? ConnectionFacts.systemRootBundle } ?? "",
            "CLEAN_SESSION": request.cleanSession ? "1" : "0",
            "KEEPALIVE": String(request.keepAlive),
            "PRELUDE_FILE": try preludeFile().path,
        ]
        if let service = configuration.tokenService {
            values["TOKEN_URL"] = service.url
            values["TOKEN_KEY"] = service.functionKey
            values["TOKEN_TTL"] = String(service.ttl.nanoseconds / 1_000_000_000)
            values["PASSWORD"] = ""
        } else if let tokenSource {
            values["PASSWORD"] = try await tokenSource.token().password
        } else {
            values["PASSWORD"] = request.password ?? ""
        }
        return ConnectionFacts(values: values)
    }

    /// Writes the prelude into a private folder once and returns the file.
    private func preludeFile() throws -> URL {
        if let directory = state.withLock({ $0.preludeDirectory }) {
            return directory.appendingPathComponent("harness_prelude.py")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("harness-\(id.string.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("harness_prelude.py")
        try Data(MicroPythonPrelude.source.utf8).write(to: file)
        state.withLock { $0.preludeDirectory = directory }
        return file
    }
}
