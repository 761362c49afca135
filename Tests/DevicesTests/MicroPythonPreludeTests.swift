import Devices
import Foundation
import HarnessTestSupport
import Testing

/// The prelude on the MicroPython unix port itself, with the seed firmware's stand-ins on the
/// path (as a board has machine.Pin and network built in).
@Suite struct MicroPythonPreludeTests {
    /// Runs `script` on the unix port next to the prelude file (`prelude.py`); its output.
    func run(_ script: String) async throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("prelude-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(MicroPythonPrelude.source.utf8).write(to: folder.appendingPathComponent("prelude.py"))
        try Data(script.utf8).write(to: folder.appendingPathComponent("main.py"))
        let shims = Repository.seedFirmware.appendingPathComponent("shims").path
        let output = try await ExternalTool.run("/usr/bin/env", ["MICROPYPATH=\(shims):.frozen", try Repository.micropython(), folder.appendingPathComponent("main.py").path])
        #expect(output.status == 0, "\(output.standardOutput)\(output.standardError)")
        return output.standardOutput
    }

    @Test(
        "run twice in one interpreter (a board resumed, not reset), the prelude wraps the board's modules, not its own wrappers: one line per pin write",
        .enabled(if: Repository.hasMicroPython, "no MicroPython unix port: set HARNESS_MICROPYTHON or put micropython on PATH (bash .ci/run names ../shared/tools/micropython/micropython)")
    )
    func preludeTwice() async throws {
        let folder = "import sys\nhere = sys.argv[0].rsplit('/', 1)[0]\n"
        let output = try await run(folder + "for run in range(2):\n    exec(open(here + '/prelude.py').read())\nimport machine\nmachine.Pin(5, machine.Pin.OUT).on()\n")
        #expect(output.components(separatedBy: "@harness pin 5 1").count == 2, "\(output)")
        #expect(output.components(separatedBy: "@harness state running").count == 3, "\(output)")
    }
}
