import Foundation

/// Relative paths between report files, so that a folder of reports can be moved or served
/// as a whole.
public enum RelativePath {
    /// The path of `target` as seen from `folder` (`../a/report.html`); both may be relative
    /// to the working directory.
    public static func from(folder: String, to target: String) -> String {
        let base = components(of: folder)
        let destination = components(of: target)
        var shared = 0
        while shared < base.count, shared < destination.count, base[shared] == destination[shared] { shared += 1 }
        let parts = Array(repeating: "..", count: base.count - shared) + destination[shared...]
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    private static func components(of path: String) -> [String] {
        let absolute = path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        return URL(fileURLWithPath: absolute).standardizedFileURL.pathComponents.filter { $0 != "/" }
    }
}
