import Foundation
import NIOCore
import NIOPosix

/// A real Mosquitto broker (Debian package `mosquitto`) that a test starts on a free loopback
/// port with a generated configuration, and stops afterwards. A missing `mosquitto` is an
/// error, never a skip: `.ci/run` installs it.
public final class Mosquitto: @unchecked Sendable {
    /// Why the broker could not be started.
    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The loopback port the broker listens on.
    public let port: Int
    private let process: Process
    private let directory: URL
    private let logFile: URL

    private init(port: Int, process: Process, directory: URL, logFile: URL) {
        self.port = port
        self.process = process
        self.directory = directory
        self.logFile = logFile
    }

    /// Where `mosquitto` is installed, if it is.
    public static var executablePath: String? {
        ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto", "/usr/local/bin/mosquitto"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Where the dynamic security plugin of the Debian package is, if it is installed.
    public static var dynamicSecurityPluginPath: String? {
        let candidates = ["x86_64-linux-gnu", "aarch64-linux-gnu", "arm-linux-gnueabihf"].map { "/usr/lib/\($0)/mosquitto_dynamic_security.so" }
            + ["/usr/lib/mosquitto_dynamic_security.so", "/usr/local/lib/mosquitto_dynamic_security.so"]
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// PEM text of a TLS identity for the broker's listener.
    public struct TLSIdentity: Sendable {
        public var caPEM: String
        public var certificatePEM: String
        public var keyPEM: String

        public init(caPEM: String, certificatePEM: String, keyPEM: String) {
            self.caPEM = caPEM
            self.certificatePEM = certificatePEM
            self.keyPEM = keyPEM
        }
    }

    /// The CA file clients must trust, when the listener runs TLS.
    public var caFilePath: String? {
        let path = directory.appendingPathComponent("ca.pem").path
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Starts a broker on a free port of 127.0.0.1 that allows anonymous clients.
    /// - Parameter deniedSubscriptions: topic filter patterns anonymous clients may not
    ///   subscribe to (Mosquitto then answers SUBACK 0x80), enforced by the broker's dynamic
    ///   security plugin; none by default.
    /// - Parameter tls: makes the listener TLS-only (MQTT over TLS 1.2+) with this identity.
    /// - Parameter requireClientCertificate: with `tls`, clients must present a certificate
    ///   signed by its CA (`require_certificate true`).
    /// - Parameter users: user names and passwords; when given, anonymous clients are refused
    ///   (a `password_file` made with `mosquitto_passwd`).
    /// - Parameter options: more lines of `mosquitto.conf` for the listener, for example
    ///   `max_inflight_messages 2` (which an MQTT 5.0 client sees as the CONNACK's Receive
    ///   Maximum); none by default.
    /// - Throws: ``StartError`` when `mosquitto` is missing or does not start listening.
    public static func start(
        deniedSubscriptions: [String] = [],
        options: [String] = [],
        tls: TLSIdentity? = nil,
        requireClientCertificate: Bool = false,
        users: [String: String] = [:],
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> Mosquitto {
        guard let executable = executablePath else {
            throw StartError(description: "mosquitto is not installed (Debian package mosquitto); .ci/run installs it")
        }
        let port = try await freePort(group: group)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("harness-mosquitto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var config = [
            "listener \(port) 127.0.0.1",
            "allow_anonymous \(users.isEmpty)",
            "persistence false",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "log_type notice",
        ]
        if let tls {
            for (name, text) in [("ca.pem", tls.caPEM), ("server.pem", tls.certificatePEM), ("server.key", tls.keyPEM)] {
                let file = directory.appendingPathComponent(name)
                try text.write(to: file, atomically: true, encoding: .utf8)
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
            }
            config += [
                "cafile \(directory.appendingPathComponent("ca.pem").path)",
                "certfile \(directory.appendingPathComponent("server.pem").path)",
                "keyfile \(directory.appendingPathComponent("server.key").path)",
            ]
            if requireClientCertificate { config.append("require_certificate true") }
        }
        if !users.isEmpty {
            let file = directory.appendingPathComponent("passwords")
            let tool = ["/usr/bin/mosquitto_passwd", "/usr/local/bin/mosquitto_passwd"].first { FileManager.default.isExecutableFile(atPath: $0) }
            guard let tool else { throw StartError(description: "mosquitto_passwd is missing (Debian package mosquitto)") }
            for (index, (user, password)) in users.sorted(by: { $0.key < $1.key }).enumerated() {
                let output = try await ExternalTool.run(tool, (index == 0 ? ["-c"] : []) + ["-b", file.path, user, password])
                guard output.status == 0 else { throw StartError(description: "mosquitto_passwd failed: \(output.standardError)") }
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
            config.append("password_file \(file.path)")
        }
        if !deniedSubscriptions.isEmpty {
            guard let plugin = dynamicSecurityPluginPath else {
                throw StartError(description: "mosquitto_dynamic_security.so is missing (Debian package mosquitto)")
            }
            let file = directory.appendingPathComponent("dynamic-security.json")
            try dynamicSecurityConfiguration(deniedSubscriptions: deniedSubscriptions).write(to: file, atomically: true, encoding: .utf8)
            config += ["plugin \(plugin)", "plugin_opt_config_file \(file.path)"]
        }
        config += options
        let configFile = directory.appendingPathComponent("mosquitto.conf")
        try (config.joined(separator: "\n") + "\n").write(to: configFile, atomically: true, encoding: .utf8)
        // Readable by the unprivileged user mosquitto switches to when started as root.
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)

        // The log goes to a file the broker inherits open, so it never blocks on a full pipe.
        let logFile = directory.appendingPathComponent("mosquitto.log")
        guard FileManager.default.createFile(atPath: logFile.path, contents: nil) else {
            throw StartError(description: "cannot create \(logFile.path)")
        }
        let logHandle = try FileHandle(forWritingTo: logFile)
        defer { try? logHandle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-c", configFile.path]
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
        let broker = Mosquitto(port: port, process: process, directory: directory, logFile: logFile)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                let log = broker.log
                broker.stop()
                throw StartError(description: "mosquitto exited with status \(process.terminationStatus): \(log)")
            }
            if await isListening(port: port, group: group) { return broker }
            try await Task.sleep(for: .milliseconds(20))
        }
        let log = broker.log
        broker.stop()
        throw StartError(description: "mosquitto did not listen on 127.0.0.1:\(port) within 10 s: \(log)")
    }

    /// Stops the broker (SIGKILL, then waits) and removes its files.
    ///
    /// SIGKILL, not SIGTERM: a process spawned from the test runner inherits a signal mask
    /// that blocks SIGTERM, and Mosquitto restores that mask around its event loop.
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// What the broker has logged so far.
    public var log: String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    /// A dynamic security configuration that lets anonymous clients do everything except
    /// subscribe to `deniedSubscriptions`.
    static func dynamicSecurityConfiguration(deniedSubscriptions: [String]) -> String {
        let acls = deniedSubscriptions.map { pattern in
            let escaped = pattern.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return #"{"acltype": "subscribePattern", "topic": "\#(escaped)", "priority": 0, "allow": false}"#
        }
        return """
            {
              "defaultACLAccess": {"publishClientSend": true, "publishClientReceive": true, "subscribe": true, "unsubscribe": true},
              "clients": [],
              "groups": [{"groupname": "anonymous", "roles": [{"rolename": "restricted"}], "clients": []}],
              "roles": [{"rolename": "restricted", "acls": [\(acls.joined(separator: ", "))]}],
              "anonymousGroup": "anonymous"
            }

            """
    }

    /// A port that was free a moment ago: bound on 127.0.0.1 port 0, then released.
    public static func freePort(group: any EventLoopGroup) async throws -> Int {
        let channel = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port
        try await channel.close()
        guard let port else { throw StartError(description: "could not find a free port") }
        return port
    }

    public static func isListening(port: Int, group: any EventLoopGroup) async -> Bool {
        do {
            let channel = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).get()
            try await channel.close()
            return true
        } catch {
            return false
        }
    }
}
