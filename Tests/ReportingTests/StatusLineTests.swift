import Foundation
import Reporting
import Testing

/// The progress line of a suite: rewritten in place on a terminal, plain lines in a log, and
/// lifted off the terminal while the console prints.
@Suite struct StatusLineTests {
    /// Everything written to the pipe's write end, once it is closed.
    func written(to pipe: Pipe) throws -> String {
        try pipe.fileHandleForWriting.close()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    @Test("on a terminal: one line rewritten with \\r and erase, lifted while the console prints, erased at the end")
    func terminal() throws {
        let status = Pipe()
        let output = Pipe()
        let line = StatusLine(handle: status.fileHandleForWriting, isTerminal: true)
        let console = ConsoleReporter(handle: output.fileHandleForWriting, useColor: false)
        console.note("before any progress")
        console.statusLine = line
        line.update("0/2 runs done")
        line.update("1/2 runs done")
        console.note("a step line")
        line.update("2/2 runs done, 1 failed")
        line.finish()
        line.finish()
        let erase = "\r\u{1B}[K"
        #expect(try written(to: status) == erase + "0/2 runs done" + erase + "1/2 runs done" + erase + "1/2 runs done" + erase + "2/2 runs done, 1 failed" + erase)
        #expect(try written(to: output) == "before any progress\na step line\n")
    }

    @Test("in a log: a plain line per update, no control characters, peer text escaped; nothing to erase")
    func log() throws {
        let status = Pipe()
        let line = StatusLine(handle: status.fileHandleForWriting, isTerminal: false)
        line.update("[1/2 runs done] c2d-led passed")
        line.update("[2/2 runs done, 1 failed] evil\r\u{1B}[2Jname failed")
        line.withLineLifted {}
        line.finish()
        let text = try written(to: status)
        #expect(text == "[1/2 runs done] c2d-led passed\n[2/2 runs done, 1 failed] evil\\r\\u{1b}[2Jname failed\n")
        #expect(!text.contains("\r") && !text.contains("\u{1B}"))
    }

    @Test("a pipe is not a terminal")
    func detection() {
        #expect(StatusLine(handle: Pipe().fileHandleForWriting).isTerminal == false)
    }
}
