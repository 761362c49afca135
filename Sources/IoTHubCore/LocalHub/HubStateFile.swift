import Foundation

/// What a running `harness hub` tells other `harness` commands on the same machine (`harness
/// send`, runs against a bare `azure://` target): where its service API is and the credentials
/// to use it. Written with mode 0600 in a 0700 folder, since it holds keys.
public struct HubStateFile: Codable, Sendable, Hashable {
    /// Why the file cannot be read or written, in words for the user.
    public struct Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        public var description: String
    }

    public var pid: Int32
    public var hostName: String
    public var serviceURL: String
    public var policyName: String
    /// Secret.
    public var policyKey: String
    public var tlsPort: Int?
    public var plainPort: Int?
    public var caCertificatePath: String?
    public var tokenServiceURL: String?
    /// Secret.
    public var tokenServiceKey: String?
    /// Device connection strings, keys included. Secret.
    public var devices: [String: String]

    public init(
        pid: Int32,
        hostName: String,
        serviceURL: String,
        policyName: String,
        policyKey: String,
        tlsPort: Int? = nil,
        plainPort: Int? = nil,
        caCertificatePath: String? = nil,
        tokenServiceURL: String? = nil,
        tokenServiceKey: String? = nil,
        devices: [String: String] = [:]
    ) {
        self.pid = pid
        self.hostName = hostName
        self.serviceURL = serviceURL
        self.policyName = policyName
        self.policyKey = policyKey
        self.tlsPort = tlsPort
        self.plainPort = plainPort
        self.caCertificatePath = caCertificatePath
        self.tokenServiceURL = tokenServiceURL
        self.tokenServiceKey = tokenServiceKey
        self.devices = devices
    }

    /// `$XDG_RUNTIME_DIR/harness-hub/default.json`, or `$TMPDIR/harness-hub-{uid}/default.json`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty, FileManager.default.fileExists(atPath: runtime) {
            return (runtime as NSString).appendingPathComponent("harness-hub/default.json")
        }
        let temporary = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return (temporary as NSString).appendingPathComponent("harness-hub-\(getuid())/default.json")
    }

    /// Writes the file (mode 0600) and its folder (0700).
    public func write(to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        let temporary = path + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw Error(description: "cannot write the hub state file \(path)")
        }
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw Error(description: "cannot write the hub state file \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Reads the file.
    /// - Throws: ``Error`` saying that no hub seems to run, or that the file is damaged.
    public static func read(from path: String) throws(Error) -> HubStateFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Error(description: "no running `harness hub` found (no state file at \(path)); start one, or give --hub URL and --connection-string")
        }
        do {
            return try JSONDecoder().decode(HubStateFile.self, from: data)
        } catch {
            throw Error(description: "\(path) is not a harness hub state file")
        }
    }
}
