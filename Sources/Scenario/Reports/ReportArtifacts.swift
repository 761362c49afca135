import Foundation
import Reporting

/// Writes each run's files under the reports folder: `<scenario>/trace.jsonl`, `trace.pcap`
/// and `report.html` (`<scenario>@<target>/` when a scenario has several targets).
public struct ReportArtifacts: Sendable {
    public var folder: String
    private var used: Set<String> = []

    public init(folder: String) {
        self.folder = folder
    }

    /// The folder for one run's files.
    public mutating func folder(for result: ScenarioResult) -> String {
        var name = Self.sanitize(result.scenario.name)
        if result.scenario.targets.count > 1 { name += "@" + Self.sanitize(result.target.name) }
        var candidate = name
        var counter = 2
        while used.contains(candidate) {
            candidate = "\(name)-\(counter)"
            counter += 1
        }
        used.insert(candidate)
        return (folder as NSString).appendingPathComponent(candidate)
    }

    /// Writes the trace, pcap and HTML report of one run.
    /// - Throws: ``ReportWriteError`` when a file cannot be written.
    @discardableResult
    public mutating func write(_ result: ScenarioResult, redactor: SecretRedactor) throws(ReportWriteError) -> String {
        let directory = folder(for: result)
        try ReportFileWriter.write(TraceJSONLinesWriter(redactor: redactor).render(result.makeTraceRecords()), to: directory + "/trace.jsonl")
        try ReportFileWriter.write(bytes: PcapWriter.render(result.makePcapSegments(redactor: redactor)), to: directory + "/trace.pcap")
        try ReportFileWriter.write(HTMLReportWriter(redactor: redactor).render(result.makeHTMLReport()), to: directory + "/report.html")
        return directory
    }

    /// The files a run's folder holds; a folder holding exactly these, as plain files, with a
    /// `report.html` the harness drew, is one the harness wrote.
    static let runFiles: Set<String> = ["trace.jsonl", "trace.pcap", "report.html"]

    /// Removes the run folders an earlier run left in the reports folder, so that it shows only
    /// this run: a folder is removed only when it is not one of this run's and holds exactly a
    /// run's files (`trace.jsonl`, `trace.pcap` and a `report.html` with the harness's sequence
    /// diagram) as plain files. Anything else, a user's files among them, is kept.
    /// - Returns: the folders removed.
    @discardableResult
    public func removeStaleRunFolders() -> [String] {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: folder) else { return [] }
        var removed: [String] = []
        for name in names.sorted() where !used.contains(name) {
            let path = (folder as NSString).appendingPathComponent(name)
            var isFolder: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue,
                (try? manager.destinationOfSymbolicLink(atPath: path)) == nil,
                let files = try? manager.contentsOfDirectory(atPath: path),
                Set(files) == Self.runFiles, files.count == Self.runFiles.count
            else { continue }
            let allPlainFiles = files.allSatisfy { file in
                let attributes = try? manager.attributesOfItem(atPath: (path as NSString).appendingPathComponent(file))
                return attributes?[.type] as? FileAttributeType == .typeRegular
            }
            guard allPlainFiles, Self.isHarnessReport(atPath: (path as NSString).appendingPathComponent("report.html")),
                (try? manager.removeItem(atPath: path)) != nil
            else { continue }
            removed.append(path)
        }
        return removed
    }

    /// Whether the page at `path` is a run report the harness drew: it starts as
    /// ``HTMLReportWriter`` pages do and holds their sequence diagram.
    static func isHarnessReport(atPath path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = String(decoding: (try? handle.read(upToCount: 4096)) ?? Data(), as: UTF8.self)
        return head.hasPrefix("<!DOCTYPE html>") && head.contains("<body data-rendered=")
    }

    /// A name safe as one path component.
    static func sanitize(_ name: String) -> String {
        let cleaned = String(name.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
        return cleaned.isEmpty || cleaned.hasPrefix(".") ? "scenario" + cleaned : cleaned
    }
}
