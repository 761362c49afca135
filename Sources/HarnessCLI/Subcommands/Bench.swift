import ArgumentParser
import Benchmarks

/// `harness bench`: performance benchmarks of the harness's own parts. Figures are printed,
/// never asserted: benchmarks report, tests don't time.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run performance benchmarks.",
        subcommands: [CodecBench.self, HubBenchCommand.self, BurstBenchCommand.self, FaultBenchCommand.self, SoakBenchCommand.self, FleetBenchCommand.self]
    )
}
