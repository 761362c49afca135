import Foundation

/// Paths in the repository the tests run from.
public enum Repository {
    /// The repository root, found from this file's path.
    public static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// `<repo>/.venv/bin/python3`, which `.ci/run` creates.
    /// - Throws: an error saying to run `.ci/run` when it is missing.
    public static func python() throws -> String {
        let path = root.appendingPathComponent(".venv/bin/python3").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw MissingComponent(description: "\(path) is missing; run `bash .ci/run` to create the venv (azure-iot-device, umqtt.simple)")
        }
        let umqtt = root.appendingPathComponent(".venv/micropython-lib/umqtt/simple.py").path
        guard FileManager.default.fileExists(atPath: umqtt) else {
            throw MissingComponent(description: "\(umqtt) is missing; run .ci/run to fetch micropython-umqtt.simple 1.3.4")
        }
        return path
    }

    /// The MicroPython unix port the harness's `runtime: micropython` finds
    /// (`HARNESS_MICROPYTHON`, else `micropython` on `PATH`; `.ci/run` names the shared build).
    /// - Throws: why there is none, for a test to say when it skips.
    public static func micropython() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let named = environment["HARNESS_MICROPYTHON"], !named.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: named) else {
                throw MissingComponent(description: "HARNESS_MICROPYTHON names \(named), which is not an executable file")
            }
            return named
        }
        for folder in (environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(folder)/micropython"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw MissingComponent(
            description: "no MicroPython unix port: micropython is not on PATH and HARNESS_MICROPYTHON is not set (bash .ci/run sets it to ../shared/tools/micropython/micropython when that exists)"
        )
    }

    /// Whether a MicroPython unix port can be found (see ``micropython()``).
    public static var hasMicroPython: Bool { (try? micropython()) != nil }

    /// `<repo>/scenarios/firmware/esp8266-led`.
    public static var seedFirmware: URL { root.appendingPathComponent("scenarios/firmware/esp8266-led") }

    /// A Debian tool such as `mosquitto_pub`, looked up in the system folders.
    /// - Throws: a message naming the Debian package `.ci/run` installs.
    public static func tool(_ name: String, package: String) throws -> String {
        for folder in ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin", "/sbin"] {
            let path = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw MissingComponent(description: "\(name) is missing: install the Debian package \(package) (`bash .ci/run` does)")
    }

    /// A component the tests need is not installed.
    public struct MissingComponent: Error, CustomStringConvertible {
        public var description: String
    }
}
