import Foundation

/// What a running `harness hub` tells other `harness` commands on the same machine (for
/// example `harness send`): where its service API is and the credentials to use it. Written
/// with mode 0600 in a 0700 folder, since it holds keys.
struct HubStateFile: Codable, Sendable, Hashable {
    var pid: Int32
    var hostName: String
    var serviceURL: String
    var policyName: String
    /// Secret.
    var policyKey: String
    var tlsPort: Int?
    var plainPort: Int?
    var caCertificatePath: String?
    var tokenServiceURL: String?
    /// Secret.
    var tokenServiceKey: String?
    /// Device connection strings, keys included. Secret.
    var devices: [String: String]

    /// `$XDG_RUNTIME_DIR/harness-hub/default.json`, or `$TMPDIR/harness-hub-{uid}/default.json`.
    static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty, FileManager.default.fileExists(atPath: runtime) {
            return (runtime as NSString).appendingPathComponent("harness-hub/default.json")
        }
        let temporary = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return (temporary as NSString).appendingPathComponent("harness-hub-\(getuid())/default.json")
    }

    /// Writes the file (mode 0600) and its folder (0700).
    func write(to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        let temporary = path + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw InvalidInput(description: "error: cannot write the hub state file \(path)")
        }
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw InvalidInput(description: "error: cannot write the hub state file \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Reads the file.
    /// - Throws: ``InvalidInput`` saying that no hub seems to run, or that the file is damaged.
    static func read(from path: String) throws(InvalidInput) -> HubStateFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InvalidInput(description: "error: no running `harness hub` found (no state file at \(path)); start one, or give --hub URL and --connection-string")
        }
        do {
            return try JSONDecoder().decode(HubStateFile.self, from: data)
        } catch {
            throw InvalidInput(description: "error: \(path) is not a harness hub state file")
        }
    }
}
