import Foundation
import HarnessTestSupport
import Testing

/// `harness run` with a fleet as a user runs it: too few descriptors are said plainly before
/// anything starts.
@Suite struct FleetRunCommandTests {
    @Test("a fleet larger than the descriptor limit stops before any device starts, saying how many it needs, the limits and how many fit")
    func descriptorLimit() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-fleet-fds-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let scenario = "fleet: { name: sensors, id: \"s-${index}\", count: 200 }\nsteps:\n  - connect: {}\n"
        try Data(scenario.utf8).write(to: URL(fileURLWithPath: folder + "/fleet.yaml"))
        let command = "ulimit -n 300 && exec \"$0\" run \"$1/fleet.yaml\" --no-color --reports \"$1/r\" --junit \"$1/r/junit.xml\""
        let output = try await ExternalTool.run("/bin/bash", ["-c", command, try HarnessBinary.path(), folder], timeout: .seconds(60))
        #expect(output.status == 1, "\(output.standardOutput)\(output.standardError)")
        #expect(output.standardOutput.contains("200 devices need about 656 open descriptors in this process"), "\(output.standardOutput)")
        #expect(output.standardOutput.contains("but the limit is 300") && output.standardOutput.contains("at most 22 devices fit under it"), "\(output.standardOutput)")
        #expect(!output.standardOutput.contains("✓"))
    }
}
