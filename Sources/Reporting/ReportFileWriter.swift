import Foundation

/// Writes report files atomically, creating folders as needed, so a reader never sees a
/// half-written report.
public enum ReportFileWriter {
    /// Writes `text` to `path` through a temporary file in the same folder.
    /// - Throws: the file system's error, with the path.
    public static func write(_ text: String, to path: String) throws(ReportWriteError) {
        try write(bytes: Array(text.utf8), to: path)
    }

    /// Writes `bytes` to `path` through a temporary file in the same folder.
    /// - Throws: the file system's error, with the path.
    public static func write(bytes: [UInt8], to path: String) throws(ReportWriteError) {
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url, options: .atomic)
        } catch {
            throw ReportWriteError(path: path, reason: (error as NSError).localizedDescription)
        }
    }
}

/// A report file could not be written.
public struct ReportWriteError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "cannot write \(path): \(reason)" }
}
