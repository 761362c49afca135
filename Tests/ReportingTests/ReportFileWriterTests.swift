import Foundation
import Reporting
import Testing

/// Report files are replaced whole, and files that belong together are replaced together.
@Suite struct ReportFileWriterTests {
    @Test("writeAll: when one file cannot be written, none is replaced and no temporary file is left")
    func allOrNothing() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-write-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try ReportFileWriter.write("good", to: folder + "/junit.xml")
        try ReportFileWriter.write("a file, not a folder", to: folder + "/blocked")
        let error = #expect(throws: ReportWriteError.self) {
            try ReportFileWriter.writeAll([(folder + "/junit.xml", "new"), (folder + "/blocked/index.html", "new")])
        }
        #expect(error?.path == folder + "/blocked/index.html")
        #expect(try String(contentsOfFile: folder + "/junit.xml", encoding: .utf8) == "good")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["blocked", "junit.xml"])
        try ReportFileWriter.writeAll([(folder + "/junit.xml", "new"), (folder + "/sub/index.html", "page")])
        #expect(try String(contentsOfFile: folder + "/junit.xml", encoding: .utf8) == "new")
        #expect(try String(contentsOfFile: folder + "/sub/index.html", encoding: .utf8) == "page")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["blocked", "junit.xml", "sub"])
    }

    @Test("a report never replaces a device, a folder or a link: the write is refused and nothing is written")
    func onlyRegularFiles() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-writer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder + "/sub", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createSymbolicLink(atPath: folder + "/link.xml", withDestinationPath: folder + "/target.xml")
        for path in ["/dev/null", folder + "/sub", folder + "/link.xml"] {
            #expect(throws: ReportWriteError.self) { try ReportFileWriter.writeAll([(folder + "/ok.xml", "a"), (path, "b")]) }
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/ok.xml"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/target.xml"))
        // A regular file is replaced as before.
        try ReportFileWriter.writeAll([(folder + "/ok.xml", "a")])
        try ReportFileWriter.writeAll([(folder + "/ok.xml", "b")])
        #expect(try String(contentsOfFile: folder + "/ok.xml", encoding: .utf8) == "b")
    }
}
