import ArgumentParser
import Benchmarks
import Foundation
import Reporting

/// The servers a benchmark measures: `harness hub` (this executable) and, unless left out,
/// Mosquitto. Shared by `bench hub` and `bench burst`.
struct BenchServerOptions: ParsableArguments {
    @Option(help: "The mosquitto executable (Debian package mosquitto).")
    var mosquitto = "/usr/sbin/mosquitto"

    @Flag(name: .customLong("without-mosquitto"), help: "Measure the hub only.")
    var withoutMosquitto = false

    @Option(name: .customLong("harness"), help: ArgumentHelp("The harness executable that runs `harness hub` (default: this one).", visibility: .hidden))
    var harnessPath: String?

    func validate() throws {
        if !withoutMosquitto, !FileManager.default.isExecutableFile(atPath: mosquitto) {
            throw ValidationError("--mosquitto: \(mosquitto) is not an executable (install the Debian package mosquitto, or give --without-mosquitto)")
        }
    }

    /// The executable that runs `harness hub`.
    var harness: String {
        harnessPath ?? (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Mosquitto's path, or `nil` when it is left out.
    var mosquittoPath: String? { withoutMosquitto ? nil : mosquitto }

    /// Runs a benchmark, turning its load errors into a message and exit status 1.
    static func run<Result>(_ benchmark: () async throws -> Result) async throws -> Result {
        do {
            return try await benchmark()
        } catch let error as LoadError {
            FileHandle.standardError.show("error: \(error)\n")
            throw ExitStatus.failure
        }
    }
}
