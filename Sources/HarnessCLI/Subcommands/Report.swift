import ArgumentParser

/// `harness report`: works on reports runs have written.
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work on the reports of finished runs.",
        subcommands: [ReportMerge.self]
    )
}
