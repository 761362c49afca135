import Foundation

extension FileHandle {
    /// Writes `text` to a terminal, pipe or file, dropping it when the reader has gone (a pipe
    /// closed early, as in `harness run ... | head -1`): what is shown is a courtesy, and the
    /// run goes on to write its reports and return its exit status. (`write(_:)` would stop
    /// the process with a trap instead.)
    public func show(_ text: String) {
        try? write(contentsOf: Data(text.utf8))
    }
}
