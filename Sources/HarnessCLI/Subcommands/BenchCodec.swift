import ArgumentParser
import Benchmarks

/// `harness bench codec`: MQTT codec throughput on one core, tap cost and retained heap.
struct CodecBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "Measure MQTT decode and encode throughput, the packet tap's cost and the heap a decoded PUBLISH keeps.",
        discussion: """
            Runs on the calling thread only (one core). Build with -c release for meaningful \
            figures: swift run -c release harness bench codec
            """
    )

    @Option(help: "How long each throughput case runs, for example 1s or 500ms.")
    var duration: DurationArgument = DurationArgument(duration: .seconds(1))

    @Option(help: "Run only the cases whose name contains this text, for example 'tap'.")
    var filter: String?

    func validate() throws {
        if duration.duration <= .zero { throw ValidationError("--duration must be positive") }
    }

    func run() throws {
        let report = try CodecBenchmark(duration: duration.duration, filter: filter).run()
        print(CodecBenchmarkFormatter.render(report))
    }
}
