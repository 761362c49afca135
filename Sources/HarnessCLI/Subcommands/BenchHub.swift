import ArgumentParser
import Benchmarks
import Foundation
import Reporting

/// `harness bench hub`: the simulated hub against Mosquitto under the same TLS client load.
struct HubBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hub",
        abstract: "Measure the simulated hub against Mosquitto: connection setup, memory per connection, QoS 1 C2D rate.",
        discussion: """
            Starts `harness hub` as its own process, connects --devices TLS clients from this \
            process (CONNECT with a SAS token, SUBSCRIBE to the devicebound topic at QoS 1), \
            reads the hub's resident memory before and after, then sends --messages-per-device \
            C2D messages to each device through the service REST API and times their delivery \
            (every device PUBACKs). Then does the same with Mosquitto (same certificate, same \
            clients; C2D is a publisher client sending QoS 1 to each device's topic) and prints \
            the ratio.
            """
    )

    @Option(help: "Simulated devices (TLS connections).")
    var devices = 1000

    @Option(name: .customLong("messages-per-device"), help: "C2D messages per device (at most 50, the hub's queue limit).")
    var messagesPerDevice = 5

    @Option(help: "Unacknowledged C2D sends at a time (pipelined HTTP requests to the hub; in-flight PUBLISHes to Mosquitto), each on one connection.")
    var window = 32

    @Option(help: "TLS handshakes at a time while connecting.")
    var parallel = 50

    @OptionGroup var servers: BenchServerOptions

    func validate() throws {
        guard devices >= 1, devices <= 20_000 else { throw ValidationError("--devices must be 1 to 20000") }
        guard (1...50).contains(messagesPerDevice) else { throw ValidationError("--messages-per-device must be 1 to 50") }
        guard (1...1000).contains(window) else { throw ValidationError("--window must be 1 to 1000") }
        guard (1...1000).contains(parallel) else { throw ValidationError("--parallel must be 1 to 1000") }
    }

    func run() async throws {
        let benchmark = HubBenchmark(
            settings: HubBenchmark.Settings(
                devices: devices,
                messagesPerDevice: messagesPerDevice,
                window: window,
                parallel: parallel,
                harnessPath: servers.harness,
                mosquittoPath: servers.mosquittoPath
            )
        )
        let say: @Sendable (String) -> Void = { FileHandle.standardOutput.show($0 + "\n") }
        let results = try await BenchServerOptions.run { try await benchmark.run(progress: say) }
        for line in Self.table(results, devices: devices, messages: devices * messagesPerDevice, window: window) { say(line) }
    }

    /// The results as a table, with hub/Mosquitto ratios when both ran.
    static func table(_ results: [HubBenchmark.Measurement], devices: Int, messages: Int, window: Int) -> [String] {
        func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
        var lines = ["", "\(devices) TLS devices, \(messages) QoS 1 C2D messages, window \(window)"]
        lines.append(pad("", 26) + results.map { pad($0.name, 16) }.joined() + (results.count == 2 ? "hub/mosquitto" : ""))
        let rows: [(String, (HubBenchmark.Measurement) -> Double, String)] = [
            ("connection setup", { $0.setupRate }, "conn/s"),
            ("memory per connection", { $0.bytesPerConnection / 1024 }, "KiB"),
            ("C2D delivery (QoS 1)", { $0.deliveryRate }, "msg/s"),
        ]
        for (name, value, unit) in rows {
            var line = pad(name, 26) + results.map { pad(String(format: "%.1f %@", value($0), unit), 16) }.joined()
            if results.count == 2, value(results[1]) > 0 { line += String(format: "%.2f", value(results[0]) / value(results[1])) }
            lines.append(line)
        }
        return lines
    }
}
