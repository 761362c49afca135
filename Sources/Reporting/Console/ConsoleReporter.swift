import Foundation

/// Writes run progress to the terminal: a line per step with its outcome and time, and
/// summaries. Colour only when the stream is a terminal; every line passes the redactor, and
/// every text it is given has its control characters escaped (``ControlCharacterEscaping``),
/// so that peer-supplied text can neither forge a line nor recolour the terminal.
public final class ConsoleReporter: @unchecked Sendable {
    /// A step outcome as the console shows it.
    public enum Outcome: Sendable {
        case passed, failed, errored, skipped
        /// The peer took a branch the specification allows that makes the step not apply.
        case notApplicable
    }

    private let lock = NSLock()
    private let useColor: Bool
    private let handle: FileHandle
    private var currentRedactor: SecretRedactor
    /// Masks every line; may be replaced while output is going on (from any thread).
    public var redactor: SecretRedactor {
        get { lock.withLock { currentRedactor } }
        set { lock.withLock { currentRedactor = newValue } }
    }
    /// Only failures and the closing line are printed.
    public var isQuiet: Bool
    /// A progress line (on standard error) lifted off the terminal while a line is printed.
    public var statusLine: StatusLine?

    /// - Parameters:
    ///   - handle: where to write. Default: standard output.
    ///   - useColor: `nil` decides by whether `handle` is a terminal and `NO_COLOR` is unset.
    public init(handle: FileHandle = .standardOutput, useColor: Bool? = nil, isQuiet: Bool = false, redactor: SecretRedactor = SecretRedactor()) {
        self.handle = handle
        self.useColor = useColor ?? (isatty(handle.fileDescriptor) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil)
        self.isQuiet = isQuiet
        self.currentRedactor = redactor
    }

    /// `c2d-led  (scenarios/c2d-led.yaml)`.
    public func scenarioStarted(name: String, path: String) {
        guard !isQuiet else { return }
        write(bold(Self.safe(name)) + "  (\(Self.safe(path)))")
    }

    /// `  ✓ 05 expect led on within 500ms   0.4 ms`, with the failure text below a failed step.
    public func step(_ outcome: Outcome, name: String, seconds: Double, detail: String? = nil) {
        if isQuiet, outcome == .passed || outcome == .skipped || outcome == .notApplicable { return }
        let mark: String
        switch outcome {
        case .passed: mark = color("✓", code: "32")
        case .failed: mark = color("✗", code: "31")
        case .errored: mark = color("!", code: "31")
        case .skipped: mark = color("-", code: "33")
        case .notApplicable: mark = color("○", code: "36")
        }
        var line = "  \(mark) \(Self.safe(name))"
        if outcome != .skipped { line += "  " + dim(Self.formatTime(seconds)) }
        write(line)
        if let detail, !detail.isEmpty {
            for detailLine in detail.split(separator: "\n", omittingEmptySubsequences: false).map({ Self.safe(String($0)) }) {
                write("      " + (outcome == .skipped ? dim(detailLine) : detailLine))
            }
        }
    }

    /// A free-form line (diagnostics, file paths).
    public func note(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) { write(Self.safe(String(line))) }
    }

    /// `N passed, N failed, N skipped (...)`.
    public func summary(passed: Int, failed: Int, skipped: Int, detail: String) {
        let counts = "\(passed) passed, \(failed) failed, \(skipped) skipped"
        write((failed > 0 ? color(counts, code: "31") : color(counts, code: "32")) + " " + Self.safe(detail))
    }

    /// `0.412 ms`, `12.3 ms`, `1.502 s`.
    public static func formatTime(_ seconds: Double) -> String {
        let milliseconds = seconds * 1000
        if milliseconds < 10 { return String(format: "%.3f ms", milliseconds) }
        if milliseconds < 1000 { return String(format: "%.1f ms", milliseconds) }
        return String(format: "%.3f s", seconds)
    }

    /// The text with control characters escaped (before any colour codes are added).
    private static func safe(_ text: String) -> String {
        ControlCharacterEscaping.escape(text)
    }

    private func write(_ line: String) {
        lock.withLock {
            let text = currentRedactor.redact(line) + "\n"
            if let statusLine {
                statusLine.withLineLifted { handle.show(text) }
            } else {
                handle.show(text)
            }
        }
    }

    private func color(_ text: String, code: String) -> String {
        useColor ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    private func bold(_ text: String) -> String { color(text, code: "1") }
    private func dim(_ text: String) -> String { color(text, code: "2") }
}
