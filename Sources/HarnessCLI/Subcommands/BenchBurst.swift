import ArgumentParser
import Benchmarks
import Foundation
import Reporting

/// `harness bench burst`: the memory a burst of clients that never authenticate costs the
/// simulated hub, and Mosquitto under the same burst.
struct BurstBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "burst",
        abstract: "Measure what a burst of clients that never authenticate costs the hub's memory, against Mosquitto.",
        discussion: """
            Starts `harness hub` as its own process, opens --connections TLS connections from \
            this process, each sending a CONNECT whose fixed header announces --announce bytes \
            and then --send of them (and nothing more), holds them for --hold, then closes \
            them. Reports the hub's resident memory before, at the peak (sampled every 20 ms) \
            and 3 s after the close, and how many connections the hub closed itself. Then the \
            same against Mosquitto.
            """
    )

    @Option(help: "Connections in the burst.")
    var connections = 1000

    @Option(help: "Remaining length each CONNECT's fixed header announces (bytes).")
    var announce = 8185

    @Option(help: "CONNECT bytes sent after the fixed header (at most --announce).")
    var send = 8100

    @Option(help: "How long the connections are held.")
    var hold = DurationArgument(duration: .seconds(3))

    @Option(help: "TLS handshakes at a time while opening.")
    var parallel = 100

    @OptionGroup var servers: BenchServerOptions

    func validate() throws {
        guard (1...20_000).contains(connections) else { throw ValidationError("--connections must be 1 to 20000") }
        guard (0...268_435_455).contains(announce) else { throw ValidationError("--announce must be 0 to 268435455 (the largest MQTT remaining length)") }
        guard (0...announce).contains(send), send <= 16 * 1024 * 1024 else { throw ValidationError("--send must be 0 to --announce (and at most 16 MiB)") }
        guard (1...1000).contains(parallel) else { throw ValidationError("--parallel must be 1 to 1000") }
        guard hold.duration > .zero, hold.duration <= .seconds(600) else { throw ValidationError("--hold must be more than 0 and at most 10m") }
    }

    func run() async throws {
        let benchmark = BurstBenchmark(
            settings: BurstBenchmark.Settings(
                connections: connections,
                announced: announce,
                sent: send,
                hold: hold.duration,
                parallel: parallel,
                harnessPath: servers.harness,
                mosquittoPath: servers.mosquittoPath
            )
        )
        let say: @Sendable (String) -> Void = { FileHandle.standardOutput.show($0 + "\n") }
        let results = try await BenchServerOptions.run { try await benchmark.run(progress: say) }
        for line in Self.table(results, settings: benchmark.settings) { say(line) }
    }

    static func table(_ results: [BurstBenchmark.Measurement], settings: BurstBenchmark.Settings) -> [String] {
        func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
        func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_048_576) }
        var lines = ["", "\(settings.connections) TLS connections, each a CONNECT announcing \(settings.announced) bytes with \(settings.sent) sent, held \(HubBenchmark.format(settings.hold))"]
        lines.append(pad("", 26) + results.map { pad($0.name, 16) }.joined())
        let rows: [(String, (BurstBenchmark.Measurement) -> String)] = [
            ("closed by the server", { "\($0.closedByServer)" }),
            ("memory before", { megabytes($0.residentBefore) }),
            ("memory at the peak", { megabytes($0.residentPeak) }),
            ("peak cost", { megabytes($0.residentPeak - $0.residentBefore) }),
            ("memory 3 s after close", { megabytes($0.residentAfter) }),
            ("kept after close", { megabytes($0.residentAfter - $0.residentBefore) }),
        ]
        for (label, value) in rows { lines.append(pad(label, 26) + results.map { pad(value($0), 16) }.joined()) }
        return lines
    }
}
