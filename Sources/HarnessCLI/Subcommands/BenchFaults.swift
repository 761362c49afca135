import ArgumentParser
import Benchmarks
import Foundation
import Reporting

/// `harness bench faults`: the precision of a `delay` fault, and that it leaves other devices
/// alone.
struct FaultBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faults",
        abstract: "Measure how exactly a delay fault shapes C2D latency, and that devices it does not name keep theirs.",
        discussion: """
            Runs a scenario on the embedded simulated hub (TLS) with two umqtt.robust devices, \
            each sent --messages C2D messages at QoS 1, --pace apart: once without faults, once \
            with a delay fault of --delay towards the first device. A message's latency is the \
            time from the hub queueing it to the device reading its PUBLISH. Prints p50 and p99 \
            of each device in each run, the delay the fault added, and the other device's change.
            """
    )

    @Option(parsing: .unconditional, help: "C2D messages per device and run.")
    var messages = 1000

    @Option(parsing: .unconditional, help: "The delay the fault adds towards the first device.")
    var delay = DurationArgument(duration: .milliseconds(200))

    @Option(parsing: .unconditional, help: "The wait between two sends.")
    var pace = DurationArgument(duration: .milliseconds(5))

    func validate() throws {
        guard (10...100_000).contains(messages) else { throw ValidationError("--messages must be 10 to 100000") }
        guard delay.duration > .zero, delay.duration <= .seconds(10) else { throw ValidationError("--delay must be more than 0 and at most 10s") }
        guard pace.duration >= .zero, pace.duration <= .seconds(1) else { throw ValidationError("--pace must be 0 to 1s") }
    }

    func run() async throws {
        let benchmark = FaultBenchmark(settings: FaultBenchmark.Settings(messages: messages, delay: delay.duration, pace: pace.duration))
        let say: @Sendable (String) -> Void = { FileHandle.standardOutput.show($0 + "\n") }
        let results = try await benchmark.run(progress: say)
        func row(_ name: String, _ value: FaultBenchmark.Latencies) -> String {
            "\(name.padding(toLength: 26, withPad: " ", startingAt: 0))\(String(format: "%9.3f ms %9.3f ms %7d", value.p50, value.p99, value.count))"
        }
        say("")
        say("C2D latency (queued at the hub -> read by the device)     p50          p99   messages")
        say(row("no fault, device slow", results.baseline.faulted))
        say(row("no fault, device other", results.baseline.other))
        say(row("delay, device slow", results.withFault.faulted))
        say(row("delay, device other", results.withFault.other))
        let addedP50 = results.withFault.faulted.p50 - results.baseline.faulted.p50
        let addedP99 = results.withFault.faulted.p99 - results.baseline.faulted.p99
        let otherChange = (results.withFault.other.p99 / results.baseline.other.p99 - 1) * 100
        say("")
        say(String(format: "added by the delay fault: p50 %+.3f ms, p99 %+.3f ms (asked for %.3f ms)", addedP50, addedP99, Double(delay.duration.components.seconds) * 1000 + Double(delay.duration.components.attoseconds) / 1e15))
        say(String(format: "the other device's p99: %+.1f%% against the run without faults", otherChange))
    }
}
