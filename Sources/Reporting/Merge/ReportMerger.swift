import Foundation

/// Merges the JUnit files of several shards or runs, and the latency histograms beside them,
/// into one JUnit report, one histograms file and one overview (`harness report merge`).
///
/// Every input is read and checked before anything is written. The result depends only on
/// the inputs' contents: inputs are taken in path order (a path given twice counts once) and
/// suites ordered by name, target, timestamp and input, so merging the same files again gives
/// the same bytes.
public struct ReportMerger: Sendable {
    /// One input: a JUnit file and its histograms.
    public struct Input: Sendable {
        public var junitPath: String
        public var report: JUnitReport
        public var histograms: LatencyHistogramFile
    }

    /// What a merge produces, ready to write.
    public struct Output: Sendable {
        public var report: JUnitReport
        public var histograms: LatencyHistogramFile
        /// Where each merged suite came from: the input JUnit path.
        public var sources: [String]

        /// The JUnit XML.
        public func renderJUnit() -> String { JUnitXMLWriter().render(report) }
    }

    public init() {}

    /// Reads and checks one JUnit file and the histograms beside it.
    /// - Throws: ``ReportInputError`` naming the file at fault.
    public func load(junitPath: String) throws(ReportInputError) -> Input {
        let report = try JUnitXMLReader.read(path: junitPath)
        let histogramPath = LatencyHistogramFile.path(besideJUnit: junitPath)
        let histograms = try LatencyHistogramFile.load(path: histogramPath)
        guard histograms.suites.map(\.name) == report.suites.map(\.name) else {
            throw ReportInputError(
                path: histogramPath,
                reason: "its suites (\(histograms.suites.count)) are not those of \(ControlCharacterEscaping.escape(junitPath)) (\(report.suites.count)); was one of the files replaced?"
            )
        }
        return Input(junitPath: junitPath, report: report, histograms: histograms)
    }

    /// Loads every input (in path order, each path once) and merges them.
    /// - Throws: ``ReportInputError`` for the first input at fault, or when there is none.
    public func merge(junitPaths: [String]) throws(ReportInputError) -> Output {
        let paths = Array(Set(junitPaths)).sorted()
        guard !paths.isEmpty else { throw ReportInputError(path: "(no input)", reason: "give at least one JUnit file to merge") }
        var inputs: [Input] = []
        for path in paths { inputs.append(try load(junitPath: path)) }
        return merge(inputs)
    }

    /// Merges loaded inputs: every suite kept, in a deterministic order, ids renumbered.
    public func merge(_ inputs: [Input]) -> Output {
        var entries: [(suite: JUnitTestSuite, histograms: LatencyHistogramFile.Suite, input: Int, position: Int)] = []
        for (inputIndex, input) in inputs.enumerated() {
            for (position, suite) in input.report.suites.enumerated() {
                entries.append((suite, input.histograms.suites[position], inputIndex, position))
            }
        }
        func target(_ suite: JUnitTestSuite) -> String { suite.properties.first { $0.name == "target" }?.value ?? "" }
        entries.sort { a, b in
            if a.suite.name != b.suite.name { return a.suite.name < b.suite.name }
            if target(a.suite) != target(b.suite) { return target(a.suite) < target(b.suite) }
            if a.suite.timestamp != b.suite.timestamp { return a.suite.timestamp < b.suite.timestamp }
            if a.input != b.input { return a.input < b.input }
            return a.position < b.position
        }
        return Output(
            report: JUnitReport(suites: entries.map(\.suite)),
            histograms: LatencyHistogramFile(suites: entries.map(\.histograms)),
            sources: entries.map { inputs[$0.input].junitPath }
        )
    }
}

extension ReportMerger.Output {
    /// Links from an overview at `overviewPath` to each merged run's `report.html` (the
    /// suite's `report` property, relative to its JUnit file), for the reports that exist.
    public func links(overviewPath: String) -> [Int: String] {
        let overviewFolder = (overviewPath as NSString).deletingLastPathComponent
        var links: [Int: String] = [:]
        for (index, suite) in report.suites.enumerated() {
            guard let relative = suite.properties.first(where: { $0.name == "report" })?.value, !relative.hasPrefix("/") else { continue }
            let junitFolder = (sources[index] as NSString).deletingLastPathComponent
            let target = ((junitFolder.isEmpty ? "." : junitFolder) as NSString).appendingPathComponent(relative)
            guard FileManager.default.fileExists(atPath: target) else { continue }
            links[index] = RelativePath.from(folder: overviewFolder.isEmpty ? "." : overviewFolder, to: target)
        }
        return links
    }
}
