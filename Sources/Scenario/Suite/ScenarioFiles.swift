import Foundation

/// Finds scenario files: each argument is a file, or a folder searched recursively for
/// `.yaml` and `.yml` files, in sorted order. Folders named `brokers` hold the configurations
/// and verdicts of the brokers a conformance pack is judged against, not scenarios, and are
/// skipped.
public enum ScenarioFiles {
    /// Every scenario file the paths name.
    /// - Throws: ``SuiteError`` naming each path that is missing or an empty folder.
    public static func resolve(_ paths: [String]) throws(SuiteError) -> [String] {
        var files: [String] = []
        var problems: [String] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                problems.append("\(path):1:1: error: no such file or folder")
                continue
            }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            let found = (manager.enumerator(atPath: path)?.compactMap { $0 as? String } ?? [])
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
                .filter { !$0.split(separator: "/").dropLast().contains("brokers") }
                .sorted()
                .map { (path as NSString).appendingPathComponent($0) }
            if found.isEmpty {
                problems.append("\(path): error: the folder holds no .yaml or .yml scenario files")
            }
            files += found
        }
        guard problems.isEmpty else { throw SuiteError(description: problems.joined(separator: "\n")) }
        var seen = Set<String>()
        return files.filter { seen.insert($0).inserted }
    }
}
