import Foundation

/// A suite's progress (`3/12 runs done, 1 failed`) for a person watching: on a terminal, one
/// line rewritten in place (`\r`, erase to the end of the line) and never scrolled; elsewhere (a
/// CI log), a plain line per update with no control characters. ``ConsoleReporter`` lifts the
/// line off the terminal while it prints, so the two never mix.
public final class StatusLine: @unchecked Sendable {
    private let lock = NSLock()
    private let handle: FileHandle
    /// Whether updates rewrite one line (a terminal) or append plain lines.
    public let isTerminal: Bool
    private var shown: String?

    /// - Parameters:
    ///   - handle: where to write. Default: standard error.
    ///   - isTerminal: `nil` decides by whether `handle` is a terminal.
    public init(handle: FileHandle = .standardError, isTerminal: Bool? = nil) {
        self.handle = handle
        self.isTerminal = isTerminal ?? (isatty(handle.fileDescriptor) == 1)
    }

    /// Shows `text` (control characters escaped): replaces the line on a terminal, or writes it
    /// as a line of its own.
    public func update(_ text: String) {
        let safe = ControlCharacterEscaping.escape(text)
        lock.withLock {
            if isTerminal {
                shown = safe
                emit(Self.erase + safe)
            } else {
                emit(safe + "\n")
            }
        }
    }

    /// Removes the line from the terminal for good (at the end of a suite).
    public func finish() {
        lock.withLock {
            guard isTerminal, shown != nil else { return }
            shown = nil
            emit(Self.erase)
        }
    }

    /// Runs `body` (which prints other lines) with the line lifted off the terminal, then puts
    /// it back below them.
    public func withLineLifted(_ body: () -> Void) {
        lock.withLock {
            guard isTerminal, let shown else { return body() }
            emit(Self.erase)
            body()
            emit(shown)
        }
    }

    /// Back to the start of the line, and erase it.
    static let erase = "\r\u{1B}[K"

    private func emit(_ text: String) {
        handle.show(text)
    }
}
