import ArgumentParser
import Benchmarks
import Foundation
import Reporting

/// `harness bench soak`: a long seeded chaos soak of the umqtt-robust and sdk profiles.
struct SoakBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Run a seeded chaos soak of the umqtt-robust and sdk profiles on the simulated hub.",
        discussion: """
            For each profile, C2D "on" and "off" keep coming for --duration while drops, closes, \
            half-open links, delays, slicing and hub restarts (and, for the SDK, throttling) \
            strike every 2 to 8 s. No message may be lost, the LED must end on the last one, \
            and every drop must be followed by a reconnect. Exits 1 when a profile fails; \
            --seed replays a run.
            """
    )

    @Option(parsing: .unconditional, help: "How long each profile is soaked.")
    var duration = DurationArgument(duration: .seconds(600))

    @Option(parsing: .unconditional, help: "The seed of the strikes (default: a new one, printed).")
    var seed: UInt64?

    func validate() throws {
        guard duration.duration >= .seconds(5), duration.duration <= .seconds(86_400) else { throw ValidationError("--duration must be 5s to 1d") }
    }

    func run() async throws {
        let seed = seed ?? UInt64.random(in: 0...UInt64.max)
        let say: @Sendable (String) -> Void = { FileHandle.standardOutput.show($0 + "\n") }
        let outcomes = try await SoakBenchmark(settings: SoakBenchmark.Settings(duration: duration.duration, seed: seed)).run(progress: say)
        say("")
        for outcome in outcomes {
            say("\(outcome.profile): \(outcome.passed ? "passed" : "FAILED"), \(outcome.iterations) iterations, \(outcome.strikes) strikes")
            if !outcome.detail.isEmpty { say("  \(outcome.detail)") }
        }
        if outcomes.contains(where: { !$0.passed }) { throw ExitCode(1) }
    }
}
