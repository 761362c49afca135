import Foundation

/// An interpreter the harness finds for a process device's firmware, so a scenario can say
/// `runtime: micropython` instead of where the interpreter lives on each machine.
public enum FirmwareRuntime: String, Sendable, Hashable, CaseIterable {
    /// The MicroPython unix port: the file `HARNESS_MICROPYTHON` names, else `micropython` on
    /// `PATH`. Its `MICROPYPATH` keeps `.frozen`, where the port's own Python modules (`ssl`)
    /// live.
    case micropython

    /// The variable that names the MicroPython interpreter to use.
    public static let microPythonVariable = "HARNESS_MICROPYTHON"

    /// The interpreter's executable.
    /// - Parameters:
    ///   - environment: the firmware's environment (the harness's own, plus the device's `env`).
    ///   - workingDirectory: where a relative `HARNESS_MICROPYTHON` starts.
    /// - Throws: ``ProcessDeviceError`` saying what was looked at and how to provide one.
    public func executable(environment: [String: String], workingDirectory: String) throws(ProcessDeviceError) -> String {
        switch self {
        case .micropython:
            if let named = environment[Self.microPythonVariable], !named.isEmpty {
                let path = named.hasPrefix("/") ? named : URL(fileURLWithPath: workingDirectory).appendingPathComponent(named).path
                guard FileManager.default.isExecutableFile(atPath: path) else {
                    throw ProcessDeviceError("\(Self.microPythonVariable) names \(named), which is not an executable file")
                }
                return path
            }
            do {
                return try FirmwareProcess.resolve("micropython", workingDirectory: workingDirectory, path: environment["PATH"])
            } catch {
                throw ProcessDeviceError(
                    "runtime micropython: no MicroPython interpreter: 'micropython' is not on PATH and \(Self.microPythonVariable) is not set (build the unix port, ports/unix in the MicroPython sources, and put it on PATH or name it in \(Self.microPythonVariable))"
                )
            }
        }
    }

    /// Whether `executable` is this runtime's interpreter (by its file name), so that
    /// `command: micropython` gets the same environment as `runtime: micropython`.
    public static func runtime(ofExecutable executable: String) -> FirmwareRuntime? {
        URL(fileURLWithPath: executable).lastPathComponent == "micropython" ? .micropython : nil
    }

    /// The environment the interpreter needs: for MicroPython, a `MICROPYPATH` that names
    /// folders but not `.frozen` gets it appended (without it `import ssl` fails on the unix
    /// port); an unset one is left unset (the port's default path has it).
    public func prepare(_ environment: inout [String: String]) {
        switch self {
        case .micropython:
            guard let path = environment["MICROPYPATH"], !path.isEmpty else { return }
            if !path.split(separator: ":").contains(".frozen") { environment["MICROPYPATH"] = path + ":.frozen" }
        }
    }
}
