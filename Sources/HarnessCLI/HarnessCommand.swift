import ArgumentParser

/// The `harness` command: runs MQTT IoT scenarios against simulated or real devices and
/// brokers and writes JUnit XML with latency and packet timing.
public struct HarnessCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "harness",
        abstract: "Test-and-conformance harness for MQTT IoT devices and brokers.",
        discussion: """
            Exit status: 0 when everything passed, 1 when a scenario failed, 2 for invalid input \
            (a bad scenario file, flag or value).
            """,
        version: "0.1.0",
        subcommands: [Run.self, Conform.self, Validate.self, Schema.self, SAS.self, Hub.self, Cert.self, Send.self, Report.self, Bench.self]
    )

    public init() {}
}
