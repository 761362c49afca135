import Foundation
import HarnessTestSupport
import Testing

/// What `harness validate` prints of a file's own text.
@Suite struct ValidateOutputTests {
    @Test("validate prints a scenario's name with its control characters escaped, on one line; libyaml's nesting limit is said in plain words")
    func fileTextEscaped() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-validate-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data("name: \"x\\u001b[2J\\nok  forged\"\ndevice: { id: esp8266 }\nsteps:\n  - connect: {}\n".utf8).write(to: URL(fileURLWithPath: folder + "/n.yaml"))
        let named = try await HarnessBinary.run(["validate", folder + "/n.yaml"])
        #expect(named.status == 0)
        #expect(named.standardOutput.split(separator: "\n").count == 1, "\(named.standardOutput)")
        #expect(named.standardOutput.contains("x\\u{1b}[2J\\nok  forged"))
        let deep = String(repeating: "[", count: 2000) + String(repeating: "]", count: 2000)
        try Data("device: { id: esp8266 }\nsteps: \(deep)\n".utf8).write(to: URL(fileURLWithPath: folder + "/deep.yaml"))
        let nested = try await HarnessBinary.run(["validate", folder + "/deep.yaml"])
        #expect(nested.status == 2)
        #expect(nested.standardError.contains("the values are nested too deeply") || nested.standardOutput.contains("the values are nested too deeply"), "\(nested.standardError)")
        #expect(!(nested.standardError + nested.standardOutput).contains("yaml_set_max_nest_level"))
    }
}
