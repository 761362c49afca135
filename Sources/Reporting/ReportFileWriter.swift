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

extension ReportFileWriter {
    /// Writes several files that belong together (a JUnit report, its histograms, an
    /// overview): every file is written to a temporary file beside its target first, and only
    /// when all are written are they renamed into place, so a failure leaves every earlier
    /// file as it was.
    /// - Throws: the first file system error, with the path; the temporary files are removed.
    public static func writeAll(_ files: [(path: String, text: String)]) throws(ReportWriteError) {
        var staged: [(temporary: String, path: String)] = []
        func discard() {
            for file in staged { try? FileManager.default.removeItem(atPath: file.temporary) }
        }
        // A report replaces a regular file at its path, never a device, a folder or a link.
        for file in files {
            var status = stat()
            if lstat(file.path, &status) == 0, (status.st_mode & S_IFMT) != S_IFREG {
                throw ReportWriteError(path: file.path, reason: "it exists and is not a regular file (a device, a folder or a link); give a new path")
            }
        }
        for file in files {
            let url = URL(fileURLWithPath: file.path)
            let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp").path
            do {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(file.text.utf8).write(to: URL(fileURLWithPath: temporary), options: .withoutOverwriting)
            } catch {
                discard()
                throw ReportWriteError(path: file.path, reason: Self.plainReason(error))
            }
            staged.append((temporary, file.path))
        }
        for (index, file) in staged.enumerated() where rename(file.temporary, file.path) != 0 {
            let reason = String(cString: strerror(errno))
            for rest in staged[index...] { try? FileManager.default.removeItem(atPath: rest.temporary) }
            throw ReportWriteError(path: file.path, reason: reason)
        }
    }
}

/// A report file could not be written.
public struct ReportWriteError: Error, Sendable, Hashable, CustomStringConvertible {
    public var path: String
    public var reason: String

    public var description: String { "cannot write \(path): \(reason)" }
}

extension ReportFileWriter {
    /// Why a file could not be written, in the system's words (`No such file or directory`)
    /// rather than Foundation's (`The operation could not be completed`).
    static func plainReason(_ error: any Error) -> String {
        let error = error as NSError
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if error.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(error.code))) }
        switch error.code {
        case NSFileNoSuchFileError, NSFileWriteNoPermissionError, NSFileWriteOutOfSpaceError, NSFileWriteVolumeReadOnlyError:
            return [NSFileNoSuchFileError: "no such folder", NSFileWriteNoPermissionError: "permission denied", NSFileWriteOutOfSpaceError: "no space left on the device", NSFileWriteVolumeReadOnlyError: "read-only file system"][error.code] ?? error.localizedDescription
        default:
            return error.localizedDescription
        }
    }
}
