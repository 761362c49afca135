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
