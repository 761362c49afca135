import Foundation

/// Finds scenario files: each argument is a file, or a folder searched recursively for
/// `.yaml` and `.yml` files, in sorted order. Folders named `brokers` hold the configurations
/// and verdicts of the brokers a conformance pack is judged against, not scenarios, and are
/// skipped.
///
/// A folder holding a ``packMarker`` file is a conformance pack that needs a broker (its hub is
/// the broker under test, given by `harness conform`). ``select(_:)`` (what `harness run`
/// uses) skips such a pack when it finds it inside a folder it was given, and says so; a pack
/// folder or pack file named as an argument is still run.
public enum ScenarioFiles {
    /// The file that marks a folder as a conformance pack needing a broker.
    public static let packMarker = "PACK.md"

    /// What ``select(_:)`` found: the files to run and the packs it left out.
    public struct Selection: Sendable, Hashable {
        /// Scenario files, in argument order, each folder's files sorted, without duplicates.
        public var files: [String]
        /// Conformance packs met inside a folder argument and left out.
        public var skippedPacks: [SkippedPack]
    }

    /// A conformance pack ``select(_:)`` left out.
    public struct SkippedPack: Sendable, Hashable {
        /// The pack's folder, as reached from the argument (`scenarios/conformance/mqtt-3.1.1`).
        public var path: String
        /// How many scenario files it holds.
        public var scenarioCount: Int

        /// `scenarios/conformance/mqtt-3.1.1: skipped, a conformance pack that needs a broker
        /// (45 scenarios); run it with harness conform mqtt://HOST:PORT --pack ...`; for a
        /// folder of examples outside `conformance/`, `... skipped, scenarios that need a broker
        /// (1 scenario); run them with: MQTT_URL=mqtt://HOST:PORT harness run ...`.
        public var note: String {
            let count = "\(scenarioCount) scenario\(scenarioCount == 1 ? "" : "s")"
            guard path.split(separator: "/").contains("conformance") else {
                return "\(path): skipped, scenarios that need a broker (\(count)); run them with: MQTT_URL=mqtt://HOST:PORT harness run \(path)"
            }
            return "\(path): skipped, a conformance pack that needs a broker (\(count)); run it with: harness conform mqtt://HOST:PORT --pack \(path)"
        }
    }

    /// Every scenario file the paths name, packs included (`harness validate`, `harness conform`).
    /// - Throws: ``SuiteError`` naming each path that is missing or an empty folder.
    public static func resolve(_ paths: [String]) throws(SuiteError) -> [String] {
        try find(paths, skippingPacks: false).files
    }

    /// The scenario files the paths name, without the conformance packs found inside folder
    /// arguments (`harness run`).
    /// - Throws: ``SuiteError`` naming each path that is missing or a folder with no scenario.
    public static func select(_ paths: [String]) throws(SuiteError) -> Selection {
        try find(paths, skippingPacks: true)
    }

    private static func find(_ paths: [String], skippingPacks: Bool) throws(SuiteError) -> Selection {
        var files: [String] = []
        var skipped: [SkippedPack] = []
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
            let entries = manager.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []
            // Packs below the argument (a marker in the argument's own folder: the user named the pack).
            let packs = skippingPacks ? entries.filter { ($0 as NSString).lastPathComponent == packMarker && $0.contains("/") }.map { ($0 as NSString).deletingLastPathComponent } : []
            var scenarios = entries
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
                .filter { !$0.split(separator: "/").dropLast().contains("brokers") }
                .sorted()
            var skippedHere = 0
            for pack in packs.sorted() {
                let inside = scenarios.filter { $0.hasPrefix(pack + "/") }
                guard !inside.isEmpty else { continue }
                scenarios.removeAll { $0.hasPrefix(pack + "/") }
                skippedHere += 1
                skipped.append(SkippedPack(path: (path as NSString).appendingPathComponent(pack), scenarioCount: inside.count))
            }
            if scenarios.isEmpty, skippedHere == 0 {
                problems.append("\(path): error: the folder holds no .yaml or .yml scenario files")
            }
            files += scenarios.map { (path as NSString).appendingPathComponent($0) }
        }
        guard problems.isEmpty else { throw SuiteError(description: problems.joined(separator: "\n")) }
        var seen = Set<String>()
        return Selection(files: files.filter { seen.insert($0).inserted }, skippedPacks: skipped)
    }
}
