import Devices
import Testing

/// The raw REPL exchange byte for byte, without a port.
@Suite struct RawREPLMachineTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test("entering: Ctrl-C twice and Ctrl-A, then the banner; noise before the banner is skipped")
    func enter() {
        var machine = RawREPLMachine()
        #expect(machine.enterRawREPL(softReset: false) == [.write([0x0D, 0x03, 0x03]), .write([0x0D, 0x01])])
        #expect(machine.received(Self.bytes("Traceback...\r\nKeyboardInterrupt: \r\n>>> \r\nraw REPL; CTRL-B")) == [])
        #expect(machine.received(Self.bytes(" to exit\r\n>")) == [.completed(.enteredRawREPL)])
        #expect(machine.isReady)
    }

    @Test("entering with a soft reset: Ctrl-D at the prompt, 'soft reboot', boot output, banner")
    func softReset() {
        var machine = RawREPLMachine()
        _ = machine.enterRawREPL(softReset: true)
        #expect(machine.received(Self.bytes("raw REPL; CTRL-B to exit\r\n>")) == [.write([0x04])])
        #expect(machine.received(Self.bytes("soft reboot\r\nboot.py says hi\r\n")) == [])
        #expect(machine.received(Self.bytes("raw REPL; CTRL-B to exit\r\n>")) == [.completed(.softReset)])
    }

    func ready() -> RawREPLMachine {
        var machine = RawREPLMachine()
        _ = machine.enterRawREPL(softReset: false)
        _ = machine.received(Self.bytes("raw REPL; CTRL-B to exit\r\n>"))
        return machine
    }

    @Test("running code: chunks of 256 bytes, Ctrl-D, then OK, output, \\x04, error output, \\x04, >")
    func execute() {
        var machine = ready()
        let code = String(repeating: "x = 1\n", count: 60)  // 360 bytes
        let actions = machine.execute(code)
        #expect(actions == [.write(Array(Self.bytes(code)[0..<256])), .write(Array(Self.bytes(code)[256...])), .write([0x04])])
        #expect(machine.received(Self.bytes("O")) == [])
        #expect(machine.received(Self.bytes("Khel")) == [.output(Self.bytes("hel"))])
        #expect(machine.received(Self.bytes("lo\r\n\u{04}")) == [.output(Self.bytes("lo\r\n"))])
        #expect(machine.received(Self.bytes("\u{04}>")) == [.completed(.executed(errorOutput: ""))])
        #expect(machine.isReady)
    }

    @Test("a program that raises: its traceback is the error output")
    func traceback() {
        var machine = ready()
        _ = machine.execute("raise ValueError('x')")
        let answer = "OK\u{04}Traceback (most recent call last):\r\n  File \"<stdin>\", line 1\r\nValueError: x\r\n\u{04}>"
        #expect(machine.received(Self.bytes(answer)) == [.completed(.executed(errorOutput: "Traceback (most recent call last):\r\n  File \"<stdin>\", line 1\r\nValueError: x\r\n"))])
    }

    @Test("every split of a whole exchange gives the same output and completion")
    func fragmentation() {
        let answer = Self.bytes("OKline one\r\nline two\r\n\u{04}\u{04}>")
        for split in 1..<answer.count {
            var machine = ready()
            _ = machine.execute("print(1)")
            let actions = machine.received(Array(answer[..<split])) + machine.received(Array(answer[split...]))
            let output: [UInt8] = actions.flatMap { action -> [UInt8] in if case .output(let bytes) = action { bytes } else { [] } }
            #expect(output == Self.bytes("line one\r\nline two\r\n"), "split at \(split)")
            #expect(actions.last == .completed(.executed(errorOutput: "")), "split at \(split)")
        }
    }

    @Test("a board that does not answer OK is a protocol failure naming what it said")
    func notOK() {
        var machine = ready()
        _ = machine.execute("print(1)")
        #expect(machine.received(Self.bytes("raw REPL")) == [.failed(reason: "the board did not accept the code (it answered \"raw REPL\" instead of \"OK\")")])
    }

    @Test("Ctrl-C interrupts only a running program; commands need the prompt")
    func interruptAndGuards() {
        var machine = ready()
        #expect(machine.interrupt() == [])
        _ = machine.execute("while True: pass")
        _ = machine.received(Self.bytes("OK"))
        #expect(machine.isRunning)
        #expect(machine.interrupt() == [.write([0x03])])
        #expect(machine.softReset() == [.failed(reason: "soft reset needs the raw REPL prompt (the board is runningOutput)")])
        #expect(machine.received(Self.bytes("\u{04}KeyboardInterrupt: \r\n\u{04}>")) == [.completed(.executed(errorOutput: "KeyboardInterrupt: \r\n"))])
        #expect(machine.softReset() == [.write([0x04])])
    }

    @Test("code holding a Ctrl-D byte is refused before anything is written")
    func endOfTextInCode() {
        var machine = ready()
        #expect(machine.execute("x = '\u{04}'") == [.failed(reason: "the code contains a Ctrl-D byte, which would end it early")])
        #expect(machine.isReady)
    }

    @Test("leaving: Ctrl-B")
    func exit() {
        var machine = ready()
        #expect(machine.exitRawREPL() == [.write([0x0D, 0x02]), .completed(.exitedRawREPL)])
    }
}
