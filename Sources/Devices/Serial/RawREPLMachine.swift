/// MicroPython's raw REPL, the protocol mpremote and ampy use to run code on a board, as a
/// pure state machine: commands and received bytes go in, bytes to write and results come out.
///
/// The exchange, byte for byte:
/// - enter: write `\r\x03\x03` (Ctrl-C twice: stop a running program) and `\r\x01` (Ctrl-A);
///   the board answers `raw REPL; CTRL-B to exit\r\n>` (anything before it is discarded);
/// - soft reset at the `>` prompt: write `\x04` (Ctrl-D); the board answers `soft reboot\r\n`,
///   whatever boot.py prints, then `raw REPL; CTRL-B to exit\r\n>` again;
/// - run code at the `>` prompt: write the code, then `\x04`; the board answers `OK`, then the
///   program's output, `\x04`, its error output (a traceback, or nothing), `\x04` and `>`;
/// - interrupt a running program: write `\x03`; it ends with a `KeyboardInterrupt` traceback
///   as error output, as above;
/// - leave: write `\r\x02` (Ctrl-B); the board prints its banner and the `>>> ` prompt.
public struct RawREPLMachine: Sendable {
    /// What the driver must do, or what happened.
    public enum Action: Sendable, Hashable {
        /// Write these bytes to the board.
        case write([UInt8])
        /// Bytes the running program printed.
        case output([UInt8])
        /// The pending command finished.
        case completed(Completion)
        /// The board's answer breaks the protocol; `reason` says how.
        case failed(reason: String)
    }

    /// How a command finished.
    public enum Completion: Sendable, Hashable {
        /// The board is in the raw REPL, at its `>` prompt.
        case enteredRawREPL
        /// The board soft-reset and is back at the raw REPL prompt.
        case softReset
        /// The program ended; `errorOutput` is its traceback (empty when it ended normally).
        case executed(errorOutput: String)
        /// The board left the raw REPL.
        case exitedRawREPL
    }

    enum Phase: Sendable, Hashable {
        case friendly
        case awaitingBanner(then: Completion)
        case awaitingSoftReboot
        case ready
        case awaitingOK
        case runningOutput
        case runningErrorOutput
        case awaitingPrompt
        case failed
    }

    static let banner = Array("raw REPL; CTRL-B to exit\r\n>".utf8)
    static let softReboot = Array("soft reboot\r\n".utf8)
    static let ok = Array("OK".utf8)
    static let endOfText: UInt8 = 0x04

    private(set) var phase: Phase = .friendly
    private var pending: [UInt8] = []
    private var errorOutput: [UInt8] = []

    public init() {}

    /// Whether the board waits at the raw REPL prompt for a command.
    public var isReady: Bool { phase == .ready }

    /// Whether a program runs (its output is streaming).
    public var isRunning: Bool { phase == .runningOutput || phase == .runningErrorOutput || phase == .awaitingPrompt }

    // MARK: Commands

    /// Stops whatever runs and enters the raw REPL; with `softReset` the board then resets
    /// (fresh interpreter, empty `sys.modules`) and comes back to the raw REPL.
    public mutating func enterRawREPL(softReset: Bool) -> [Action] {
        pending = []
        phase = .awaitingBanner(then: softReset ? .softReset : .enteredRawREPL)
        return [.write([0x0D, 0x03, 0x03]), .write([0x0D, 0x01])]
    }

    /// Soft-resets the board from the raw REPL prompt.
    public mutating func softReset() -> [Action] {
        guard phase == .ready else { return [.failed(reason: "soft reset needs the raw REPL prompt (the board is \(phase))")] }
        pending = []
        phase = .awaitingSoftReboot
        return [.write([Self.endOfText])]
    }

    /// Runs `code` (MicroPython source) at the raw REPL prompt. Output follows as
    /// ``Action/output(_:)`` until ``Completion/executed(errorOutput:)``.
    /// - Parameter chunkSize: the code is written in pieces of this size, as mpremote does, so
    ///   a board's small UART buffer keeps up when the driver paces the writes.
    public mutating func execute(_ code: String, chunkSize: Int = 256) -> [Action] {
        guard phase == .ready else { return [.failed(reason: "running code needs the raw REPL prompt (the board is \(phase))")] }
        let bytes = Array(code.utf8)
        guard !bytes.contains(Self.endOfText) else { return [.failed(reason: "the code contains a Ctrl-D byte, which would end it early")] }
        pending = []
        errorOutput = []
        phase = .awaitingOK
        var actions: [Action] = []
        var start = 0
        while start < bytes.count {
            let end = min(start + max(1, chunkSize), bytes.count)
            actions.append(.write(Array(bytes[start..<end])))
            start = end
        }
        actions.append(.write([Self.endOfText]))
        return actions
    }

    /// Interrupts the running program (Ctrl-C); it ends like any program, with a
    /// `KeyboardInterrupt` traceback.
    public mutating func interrupt() -> [Action] {
        guard isRunning else { return [] }
        return [.write([0x03])]
    }

    /// Leaves the raw REPL (Ctrl-B) for the friendly REPL.
    public mutating func exitRawREPL() -> [Action] {
        guard phase == .ready else { return [] }
        phase = .friendly
        pending = []
        return [.write([0x0D, 0x02]), .completed(.exitedRawREPL)]
    }

    // MARK: Input

    /// Bytes arrived from the board.
    public mutating func received(_ bytes: [UInt8]) -> [Action] {
        pending += bytes
        var actions: [Action] = []
        while true {
            let before = (phase, pending.count)
            actions += step()
            if phase == .failed || (phase, pending.count) == before { break }
        }
        return actions
    }

    private mutating func step() -> [Action] {
        switch phase {
        case .friendly, .ready, .failed:
            // Nothing is expected; a ready board stays silent.
            pending = []
            return []
        case .awaitingBanner(let then):
            guard let end = Self.find(Self.banner, in: pending) else { return [] }
            pending.removeFirst(end)
            if then == .softReset {
                phase = .awaitingSoftReboot
                return [.write([Self.endOfText])]
            }
            phase = .ready
            return [.completed(.enteredRawREPL)]
        case .awaitingSoftReboot:
            guard let rebootEnd = Self.find(Self.softReboot, in: pending) else { return [] }
            guard let end = Self.find(Self.banner, in: Array(pending[rebootEnd...])) else { return [] }
            pending.removeFirst(rebootEnd + end)
            phase = .ready
            return [.completed(.softReset)]
        case .awaitingOK:
            guard pending.count >= 2 else { return [] }
            guard Array(pending.prefix(2)) == Self.ok else {
                phase = .failed
                let answer = String(decoding: pending.prefix(40), as: UTF8.self)
                return [.failed(reason: "the board did not accept the code (it answered \(answer.debugDescription) instead of \"OK\")")]
            }
            pending.removeFirst(2)
            phase = .runningOutput
            return []
        case .runningOutput:
            guard let end = pending.firstIndex(of: Self.endOfText) else {
                let output = pending
                pending = []
                return output.isEmpty ? [] : [.output(output)]
            }
            let output = Array(pending[..<end])
            pending.removeFirst(end + 1)
            phase = .runningErrorOutput
            return output.isEmpty ? [] : [.output(output)]
        case .runningErrorOutput:
            guard let end = pending.firstIndex(of: Self.endOfText) else {
                errorOutput += pending
                pending = []
                return []
            }
            errorOutput += pending[..<end]
            pending.removeFirst(end + 1)
            phase = .awaitingPrompt
            return []
        case .awaitingPrompt:
            guard let prompt = pending.firstIndex(of: UInt8(ascii: ">")) else { return [] }
            pending.removeFirst(prompt + 1)
            phase = .ready
            let text = String(decoding: errorOutput, as: UTF8.self)
            errorOutput = []
            return [.completed(.executed(errorOutput: text))]
        }
    }

    /// The index just past the first occurrence of `marker` in `bytes`.
    static func find(_ marker: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= marker.count else { return nil }
        for start in 0...(bytes.count - marker.count) where bytes[start] == marker[0] {
            if Array(bytes[start..<(start + marker.count)]) == marker { return start + marker.count }
        }
        return nil
    }
}
