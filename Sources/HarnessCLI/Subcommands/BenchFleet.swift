import ArgumentParser
import Benchmarks
import Devices
import Foundation
import Reporting

/// `harness bench fleet`: thousands of simulated devices against the hub over TLS, and
/// against Mosquitto plain and over TLS.
struct FleetBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet",
        abstract: "Measure a fleet of simulated devices against the hub (TLS) and Mosquitto: connect-all time, C2D latency, memory per device.",
        discussion: """
            Starts `harness hub` as its own process with --devices devices, each with its own \
            key, and runs that many simulated devices (--profile) in this process, all over TLS \
            with one shared client context. Connects them all (--rate a second, or as fast as \
            --in-flight connects at a time allow), subscribes each to its C2D topic at QoS 1, \
            reads both processes' resident memory, sends one C2D message to every device \
            through the hub's service API (--window requests in flight) and times each from \
            its send to the device's firmware reading it. Then the same fleet against \
            Mosquitto plain and Mosquitto over TLS (a publisher client sends the C2D messages). \
            With --in-process, also against a simulated hub in this process, as a scenario runs \
            it (its connections on the hub's event loop, a thread apart from the devices'; C2D \
            queued straight into it). Prints the \
            figures and the goals for the hub: every device connected within 10 s, C2D p99 \
            within 100 ms, at most 100 KB a device on both ends together.
            """
    )

    @Option(help: "Simulated devices.")
    var devices = 10_000

    @Option(help: "Connects a second, for example 1000; 0: as fast as --in-flight allows.")
    var rate: Double = 0

    @Option(name: .customLong("in-flight"), help: "Connects (and subscribes) waiting for their answer at a time (the hub lets 256 wait for CONNACK).")
    var inFlight = 200

    @Option(help: "C2D sends not yet answered at a time.")
    var window = 64

    @Option(help: "The devices' profile: umqtt-simple, umqtt-robust or sdk.")
    var profile = "umqtt-robust"

    @Flag(name: .customLong("in-process"), help: "Also run the fleet against a simulated hub in this process, as a scenario does (two descriptors a device).")
    var inProcess = false

    @OptionGroup var servers: BenchServerOptions

    func validate() throws {
        guard (1...100_000).contains(devices) else { throw ValidationError("--devices must be 1 to 100000") }
        guard rate.isFinite, rate >= 0, rate <= 1_000_000 else { throw ValidationError("--rate must be 0 to 1000000 connects a second") }
        guard (1...10_000).contains(inFlight) else { throw ValidationError("--in-flight must be 1 to 10000") }
        guard (1...1000).contains(window) else { throw ValidationError("--window must be 1 to 1000") }
        guard DeviceProfile(named: profile) != nil else {
            throw ValidationError("--profile must be one of \(DeviceProfile.all.map(\.name).joined(separator: ", ")), not '\(ControlCharacterEscaping.escape(profile))'")
        }
    }

    func run() async throws {
        let benchmark = FleetBenchmark(
            settings: FleetBenchmark.Settings(
                devices: devices,
                connectsPerSecond: rate > 0 ? rate : nil,
                inFlight: inFlight,
                window: window,
                profile: DeviceProfile(named: profile) ?? .umqttRobust,
                harnessPath: servers.harness,
                mosquittoPath: servers.mosquittoPath,
                inProcess: inProcess
            )
        )
        let say: @Sendable (String) -> Void = { FileHandle.standardOutput.show($0 + "\n") }
        let results: [FleetBenchmark.Measurement]
        do {
            results = try await BenchServerOptions.run { try await benchmark.run(progress: say) }
        } catch let error as DescriptorBudget.Shortfall {
            throw InvalidInput(description: "error: \(error.description)")
        } catch let error as SourceAddressPool.Error {
            throw InvalidInput(description: "error: \(error.description)")
        }
        for line in Self.table(results, settings: benchmark.settings) { say(line) }
    }

    /// The results as a table, one column per server, then the goals for the hub.
    static func table(_ results: [FleetBenchmark.Measurement], settings: FleetBenchmark.Settings) -> [String] {
        func pad(_ text: String, _ width: Int) -> String { text.count >= width ? text : text + String(repeating: " ", count: width - text.count) }
        func milliseconds(_ nanoseconds: UInt64?) -> String { nanoseconds.map { String(format: "%.2f ms", Double($0) / 1e6) } ?? "-" }
        func kilobytes(_ bytes: Double) -> String { String(format: "%.1f KB", bytes / 1000) }
        let pace = settings.connectsPerSecond.map { String(format: "%g connects/s", $0) } ?? "unpaced"
        var lines = ["", "\(settings.devices) \(settings.profile.name) devices, \(pace), \(settings.inFlight) in flight, C2D window \(settings.window)"]
        lines.append(pad("", 28) + results.map { pad($0.name, 22) }.joined())
        var rows: [(String, (FleetBenchmark.Measurement) -> String)] = [
            ("connected", { "\($0.connected)" }),
            ("connect-all time", { HubBenchmark.format($0.connectTime) }),
            ("connect latency p50", { milliseconds($0.connectLatency.value(atPercentile: 50)) }),
            ("connect latency p99", { milliseconds($0.connectLatency.value(atPercentile: 99)) }),
            ("subscribe-all time", { HubBenchmark.format($0.subscribeTime) }),
            ("C2D delivered", { "\($0.delivered)" }),
            ("C2D to all time", { HubBenchmark.format($0.deliveryTime) }),
        ]
        for percentile in [50.0, 90, 99, 99.9] {
            rows.append((String(format: "C2D latency p%g", percentile), { milliseconds($0.deliveryLatency.value(atPercentile: percentile)) }))
        }
        rows += [
            ("C2D latency max", { milliseconds($0.deliveryLatency.isEmpty ? nil : $0.deliveryLatency.maximum) }),
            ("memory/device, harness", { kilobytes($0.harnessBytesPerDevice) }),
            ("memory/device, server", { $0.serverInProcess ? "(in the harness)" : kilobytes($0.serverBytesPerDevice) }),
            ("memory/device, both", { kilobytes($0.harnessBytesPerDevice + $0.serverBytesPerDevice) }),
        ]
        for (label, value) in rows { lines.append(pad(label, 28) + results.map { pad(value($0), 22) }.joined()) }
        for result in results where !result.problems.isEmpty {
            lines.append("")
            lines.append("\(result.name): " + result.problems.map { ControlCharacterEscaping.escape($0) }.joined(separator: "; "))
        }
        for hub in results where hub.name.hasPrefix("hub") {
            let p99 = hub.deliveryLatency.value(atPercentile: 99).map { Double($0) / 1e6 }
            let both = hub.harnessBytesPerDevice + hub.serverBytesPerDevice
            func verdict(_ met: Bool) -> String { met ? "met" : "MISSED" }
            lines.append("")
            lines.append("goals for \(hub.name):")
            lines.append("  all \(hub.devices) connected within 10 s: \(verdict(hub.connected == hub.devices && hub.connectTime <= .seconds(10))) (\(hub.connected) in \(HubBenchmark.format(hub.connectTime)))")
            lines.append("  C2D p99 within 100 ms: \(verdict(hub.delivered == hub.devices && (p99 ?? .infinity) <= 100)) (\(p99.map { String(format: "%.2f ms", $0) } ?? "-"), \(hub.delivered) delivered)")
            lines.append("  at most 100 KB a device, both ends: \(verdict(both <= 100_000)) (\(kilobytes(both)))")
        }
        return lines
    }
}
