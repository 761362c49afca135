import Foundation
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTClient
import NIOCore
import NIOPosix
import NIOSSL

/// The servers the benchmarks measure, each in a process of its own so that its memory can be
/// read from `/proc`: `harness hub` and Mosquitto, both on TLS with one generated certificate.
struct BenchTargets: Sendable {
    /// PEM files of the generated CA, server certificate and key.
    struct Files: Sendable {
        var ca: String
        var cert: String
        var key: String
    }

    let folder: String
    let files: Files
    /// Client TLS that trusts the generated CA and names `localhost`.
    let clientSettings: ClientTLS
    /// The context made once from ``clientSettings``, shared by every benchmark connection.
    let clientTLS: NIOSSLContext

    /// Makes the folder, the certificate for localhost and 127.0.0.1, and the client context.
    static func make() throws -> BenchTargets {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let certificates = try HubCertificateFactory.make(hostNames: ["localhost"], ipAddresses: ["127.0.0.1"], now: Date())
        let files = Files(ca: "\(folder)/ca.pem", cert: "\(folder)/cert.pem", key: "\(folder)/key.pem")
        try Data(certificates.caCertificatePEM.utf8).write(to: URL(fileURLWithPath: files.ca))
        try Data(certificates.serverCertificatePEM.utf8).write(to: URL(fileURLWithPath: files.cert))
        try Data(certificates.serverPrivateKeyPEM.utf8).write(to: URL(fileURLWithPath: files.key))
        let tls = ClientTLS(caFile: files.ca, serverName: "localhost")
        return BenchTargets(folder: folder, files: files, clientSettings: tls, clientTLS: try tls.makeContext())
    }

    /// Removes the folder.
    func remove() {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Starts `harness hub` (silent, with the generated certificate) and waits for its state
    /// file. The caller stops the process with ``stop(_:)``.
    func startHub(harnessPath: String, hostName: String, arguments: [String] = []) async throws -> (process: Process, state: HubStateFile) {
        let statePath = "\(folder)/hub-state.json"
        let hub = Process()
        hub.executableURL = URL(fileURLWithPath: harnessPath)
        hub.arguments = [
            "hub", "--port", "0", "--service-port", "0", "--cert", files.cert, "--key", files.key, "--ca", files.ca,
            "--state-file", statePath, "--silent", "--hostname", hostName,
        ] + arguments
        hub.standardOutput = FileHandle.nullDevice
        try hub.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while !FileManager.default.fileExists(atPath: statePath) {
            guard hub.isRunning, ContinuousClock.now < deadline else {
                Self.stop(hub)
                throw LoadError(description: "`harness hub` did not start")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        do {
            return (hub, try HubStateFile.read(from: statePath))
        } catch {
            Self.stop(hub)
            throw error
        }
    }

    /// Starts Mosquitto on a free port with a TLS listener using the generated certificate
    /// (or, with `tls` false, a plain TCP one), and waits until it accepts connections. The
    /// caller stops it with ``stop(_:)``.
    func startMosquitto(_ path: String, tls: Bool = true, extraConfiguration: [String] = []) async throws -> (process: Process, port: Int) {
        let port = try await Self.freePort()
        let certificates = tls ? ["cafile \(files.ca)", "certfile \(files.cert)", "keyfile \(files.key)"] : []
        let configuration = ["listener \(port) 127.0.0.1"] + certificates + ["allow_anonymous true", "persistence false", "log_type none"] + extraConfiguration
        try Data(configuration.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: "\(folder)/mosquitto.conf"))
        let broker = Process()
        broker.executableURL = URL(fileURLWithPath: path)
        broker.arguments = ["-c", "\(folder)/mosquitto.conf"]
        broker.standardOutput = FileHandle.nullDevice
        broker.standardError = FileHandle.nullDevice
        try broker.run()
        let deadline = ContinuousClock.now + .seconds(30)
        while (try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get().close()) == nil {
            guard broker.isRunning, ContinuousClock.now < deadline else {
                Self.stop(broker)
                throw LoadError(description: "mosquitto did not start")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return (broker, port)
    }

    /// SIGTERM, then SIGKILL if the process is still there after two seconds (Mosquitto
    /// running as root drops to its own user and was seen to outlive SIGTERM here).
    static func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<200 where process.isRunning { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }
}
