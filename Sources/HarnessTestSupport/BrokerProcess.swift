import Foundation
import NIOCore
import NIOPosix

/// A real broker a test runs as child processes (the broker and helpers such as its own
/// `epmd`) in a temporary folder, on loopback ports of its own. ``stop()`` kills every process
/// it started and their descendants (an Erlang node's shell wrapper, `erl_child_setup`), waits
/// a bounded time, and removes the folder.
public final class BrokerProcess: @unchecked Sendable {
    /// Why a broker could not be started.
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// What the broker is (for messages): `RabbitMQ`, `ejabberd`, `amqtt`.
    public let name: String
    /// The loopback port of its MQTT listener.
    public let port: Int
    /// Its temporary folder (configuration, data, log).
    public let directory: URL
    private let logFile: URL
    private let lock = NSLock()
    private var processes: [Process] = []

    init(name: String, port: Int, directory: URL) throws {
        self.name = name
        self.port = port
        self.directory = directory
        self.logFile = directory.appendingPathComponent("broker.log")
        guard FileManager.default.createFile(atPath: logFile.path, contents: nil) else {
            throw StartError(description: "cannot create \(logFile.path)")
        }
    }

    /// A new temporary folder for a broker.
    static func makeDirectory(_ name: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("harness-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// Starts `executable` with its output appended to the broker's log.
    func launch(_ executable: String, _ arguments: [String], environment: [String: String] = [:], in folder: URL? = nil) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw StartError(description: "\(executable) is missing (\(name)); `bash .ci/run` installs it")
        }
        let handle = try FileHandle(forWritingTo: logFile)
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.currentDirectoryURL = folder ?? directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        lock.withLock { processes.append(process) }
    }

    /// Waits until `port` on 127.0.0.1 accepts connections.
    /// - Throws: ``StartError`` with the log when a process exits first or `timeout` passes;
    ///   the broker is stopped then.
    func waitUntilListening(on port: Int, timeout: Duration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let exited = lock.withLock({ processes.first { !$0.isRunning } }) {
                let log = self.log
                stop()
                throw StartError(description: "\(name): \(exited.executableURL?.lastPathComponent ?? "a process") exited with status \(exited.terminationStatus) before listening on 127.0.0.1:\(port): \(log.suffix(2000))")
            }
            if await Mosquitto.isListening(port: port, group: group) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        let log = self.log
        stop()
        throw StartError(description: "\(name) did not listen on 127.0.0.1:\(port) within \(timeout): \(log.suffix(2000))")
    }

    /// Waits until the broker answers an MQTT CONNECT with CONNACK 0: a listening port is not
    /// yet a broker that takes clients (a RabbitMQ node accepts TCP before its MQTT plugin has
    /// its virtual host and users, and closes those first connections).
    /// - Parameter credentials: a user name and password for brokers that want them.
    func waitUntilAcceptingClients(credentials: (String, String)? = nil, timeout: Duration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws {
        let connect = Self.connectPacket(clientID: "harness-probe", credentials: credentials)
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await Self.probe(port: port, connect: connect, group: group) { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        let log = self.log
        stop()
        throw StartError(description: "\(name) listened on 127.0.0.1:\(port) but did not accept an MQTT client within \(timeout): \(log.suffix(2000))")
    }

    /// A CONNECT (MQTT 3.1.1, clean session, keep-alive 10 s) as bytes.
    static func connectPacket(clientID: String, credentials: (String, String)?) -> [UInt8] {
        func string(_ text: String) -> [UInt8] { [UInt8(text.utf8.count >> 8), UInt8(text.utf8.count & 0xFF)] + Array(text.utf8) }
        var flags: UInt8 = 0x02
        var payload = string(clientID)
        if let (user, password) = credentials {
            flags |= 0xC0
            payload += string(user) + string(password)
        }
        let body: [UInt8] = string("MQTT") + [0x04, flags, 0x00, 0x0A] + payload
        return [0x10, UInt8(body.count)] + body
    }

    /// Whether a CONNECT on a new connection gets CONNACK 0 within two seconds.
    static func probe(port: Int, connect: [UInt8], group: any EventLoopGroup) async -> Bool {
        final class Reader: ChannelInboundHandler, @unchecked Sendable {
            typealias InboundIn = ByteBuffer
            let answer: EventLoopPromise<[UInt8]>
            var bytes: [UInt8] = []
            init(answer: EventLoopPromise<[UInt8]>) { self.answer = answer }
            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                bytes += unwrapInboundIn(data).readableBytesView
                if bytes.count >= 4 { answer.succeed(bytes) }
            }
            func channelInactive(context: ChannelHandlerContext) { answer.succeed(bytes) }
        }
        let loop = group.next()
        let answer = loop.makePromise(of: [UInt8].self)
        do {
            let channel = try await ClientBootstrap(group: loop)
                .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Reader(answer: answer)) } }
                .connect(host: "127.0.0.1", port: port).get()
            let timeout = loop.scheduleTask(in: .seconds(2)) { answer.succeed([]) }
            try await channel.writeAndFlush(ByteBuffer(bytes: connect))
            let bytes = try await answer.futureResult.get()
            timeout.cancel()
            try? await channel.close()
            return bytes.starts(with: [0x20, 0x02, 0x00, 0x00])
        } catch {
            answer.succeed([])
            return false
        }
    }

    /// What the broker has logged so far.
    public var log: String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    /// Kills the processes (newest first) and everything they started, waits at most five
    /// seconds for each, and removes the folder. SIGKILL: the test runner's children inherit a
    /// signal mask that can block SIGTERM, and nothing of the broker needs to survive.
    public func stop() {
        let started = lock.withLock { () -> [Process] in
            defer { processes = [] }
            return processes
        }
        for process in started.reversed() where process.isRunning {
            let pid = process.processIdentifier
            for descendant in Self.descendants(of: pid) { kill(descendant, SIGKILL) }
            kill(pid, SIGKILL)
            let deadline = ContinuousClock.now + .seconds(5)
            while process.isRunning, ContinuousClock.now < deadline { usleep(10_000) }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Every process below `pid`, from /proc (children first found, then theirs).
    public static func descendants(of pid: pid_t) -> [pid_t] {
        var parents: [pid_t: pid_t] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let child = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // After "pid (comm)": state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = pid_t(fields[1]) { parents[child] = parent }
        }
        var found: [pid_t] = []
        var frontier = [pid]
        while let next = frontier.popLast() {
            let children = parents.filter { $0.value == next }.map(\.key)
            found += children
            frontier += children
        }
        return found
    }

    /// Writes `template` (a file beside the pack) with `@NAME@` placeholders replaced.
    static func render(_ template: URL, to destination: URL, replacing values: [String: String]) throws {
        var text = try String(contentsOf: template, encoding: .utf8)
        for (name, value) in values { text = text.replacingOccurrences(of: "@\(name)@", with: value) }
        try text.write(to: destination, atomically: true, encoding: .utf8)
    }

    /// The folder of a broker's files beside the MQTT 3.1.1 pack.
    public static func packFolder(_ broker: String) -> URL {
        Repository.root.appendingPathComponent("scenarios/conformance/mqtt-3.1.1/brokers/\(broker)")
    }
}

/// Brokers built on Erlang (RabbitMQ, ejabberd): each test node gets its own `epmd` on a
/// loopback port, so nodes never meet the machine's epmd (port 4369) or each other.
enum ErlangNode {
    /// Starts `epmd` on 127.0.0.1:`port` in the foreground, as a process of `broker`.
    static func startEPMD(for broker: BrokerProcess, port: Int) async throws {
        let epmd = ["/usr/bin/epmd", "/usr/lib/erlang/bin/epmd"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/epmd"
        try broker.launch(epmd, ["-address", "127.0.0.1", "-port", String(port)])
        try await broker.waitUntilListening(on: port, timeout: .seconds(10))
    }

    /// A node name nobody else uses: `harness-<name>-<random>@localhost`.
    static func nodeName(_ name: String) -> String {
        "harness-\(name)-\(UUID().uuidString.prefix(8).lowercased())@localhost"
    }
}
