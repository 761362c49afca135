import ArgumentParser
import Foundation
import Reporting

/// `harness report merge`: one JUnit report, one histograms file and one overview from the
/// reports of several shards or runs.
struct ReportMerge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the JUnit reports of several shards or runs into one, with one overview.",
        discussion: """
            Each JUnit file must be one harness wrote, with its latency histograms beside it \
            (junit.xml -> junit.histograms.json). Writes the merged JUnit, the merged \
            histograms beside it, and an overview page; percentiles over shards come from the \
            merged histograms, never from averaged percentiles. The same inputs always give the \
            same files. Nothing is written when an input is missing or damaged (exit 2).
            """
    )

    @Argument(help: ArgumentHelp("The JUnit files to merge.", valueName: "junit.xml"))
    var inputs: [String] = []

    @Option(help: "Where to write the merged JUnit XML report (its histograms go beside it).")
    var junit: String = "reports/merged/junit.xml"

    @Option(help: "Where to write the overview page; default: index.html beside the merged JUnit.")
    var overview: String?

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("give the JUnit files to merge, for example shard-1/junit.xml shard-2/junit.xml") }
    }

    func run() async throws {
        let output: ReportMerger.Output
        do {
            output = try ReportMerger().merge(junitPaths: inputs)
        } catch {
            throw InvalidInput(description: error.description)
        }
        let overviewPath = overview ?? ((junit as NSString).deletingLastPathComponent as NSString).appendingPathComponent("index.html")
        let histogramPath = LatencyHistogramFile.path(besideJUnit: junit)
        let outputs = [junit, histogramPath, overviewPath]
        let inputSet = Set(inputs.flatMap { [$0, LatencyHistogramFile.path(besideJUnit: $0)] }.map(Self.absolute))
        if Set(outputs.map(Self.absolute)).count < outputs.count {
            throw InvalidInput(description: "error: the merged JUnit, its histograms and the overview need three different paths")
        }
        if let clash = outputs.first(where: { inputSet.contains(Self.absolute($0)) }) {
            throw InvalidInput(description: "error: \(clash) is one of the inputs; write the merge elsewhere (--junit, --overview)")
        }
        let runs = output.report.suites.count
        let sources = Set(output.sources).count
        let page = RunOverview(
            title: "harness report merge",
            subtitle: "\(runs) run\(runs == 1 ? "" : "s") from \(sources) report\(sources == 1 ? "" : "s")",
            report: output.report,
            histograms: output.histograms.suites,
            links: output.links(overviewPath: overviewPath)
        )
        do {
            // All three are written to temporary files first and renamed together: a good
            // merged report is never left half-written or out of step with its histograms.
            try ReportFileWriter.writeAll([
                (junit, output.renderJUnit()), (histogramPath, output.histograms.render()), (overviewPath, RunOverviewWriter().render(page)),
            ])
        } catch {
            throw InvalidInput(description: "error: \(error)")
        }
        let failed = page.rows.filter { $0.outcome == .failed || $0.outcome == .errored }.count
        print("merged \(runs) run\(runs == 1 ? "" : "s") from \(sources) report\(sources == 1 ? "" : "s")\(failed > 0 ? ", \(failed) failed" : ""); JUnit: \(junit); overview: \(overviewPath)")
    }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
