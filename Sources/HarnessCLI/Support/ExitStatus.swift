import ArgumentParser

/// The process exit statuses `harness` uses.
public enum ExitStatus {
    /// Everything passed.
    public static let success = ExitCode(0)
    /// At least one scenario failed.
    public static let failure = ExitCode(1)
    /// Invalid input: scenario file, flag, value or missing file.
    public static let invalidInput = ExitCode(2)
}

/// An invalid-input error whose message is already complete (diagnostics with positions).
struct InvalidInput: Error, CustomStringConvertible {
    var description: String
}
