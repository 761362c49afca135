import Foundation
import HarnessTestSupport
import Testing

/// Shards as a Kubernetes Indexed Job runs them: four `harness run` processes with the
/// variables a pod gets, each taking its share of the scenarios, all beginning at `--start-at`.
@Suite struct ShardTests {
    /// Four scenarios that each connect and wait a little, in a new folder.
    func scenarios() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("harness-shards-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for index in 1...4 {
            let text = "name: shard-scenario-\(index)\ndevice: { id: dev\(index) }\nsteps:\n  - connect: {}\n  - wait: 100ms\n"
            try Data(text.utf8).write(to: URL(fileURLWithPath: folder + "/s\(index).yaml"))
        }
        return folder
    }

    @Test("four pods of an Indexed Job (JOB_COMPLETION_INDEX 0..3, JOB_COMPLETIONS 4) each run one scenario, together they run all, none before --start-at")
    func indexedJob() async throws {
        let folder = try scenarios()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let startAt = Date().addingTimeInterval(10)
        let formatter = ISO8601DateFormatter()
        let start = formatter.string(from: startAt.addingTimeInterval(1).addingTimeInterval(-startAt.timeIntervalSince1970.truncatingRemainder(dividingBy: 1)))
        let outputs = try await withThrowingTaskGroup(of: (Int, ExternalTool.Output).self) { group in
            for index in 0..<4 {
                group.addTask {
                    let output = try await HarnessBinary.run(
                        ["run", folder, "--start-at", start, "--junit", "\(folder)/pod-\(index)/junit.xml", "--reports", "\(folder)/pod-\(index)", "--no-color"],
                        environment: ["JOB_COMPLETION_INDEX": "\(index)", "JOB_COMPLETIONS": "4"],
                        timeout: .seconds(120)
                    )
                    return (index, output)
                }
            }
            var all: [(Int, ExternalTool.Output)] = []
            for try await output in group { all.append(output) }
            return all.sorted { $0.0 < $1.0 }
        }
        var names: [String] = []
        let startDate = try #require(formatter.date(from: start))
        for (index, output) in outputs {
            #expect(output.status == 0, "pod \(index): \(output.standardOutput)\(output.standardError)")
            #expect(output.standardOutput.contains("(--start-at), to begin with the other shards"), "\(output.standardOutput)")
            let junit = try String(contentsOfFile: "\(folder)/pod-\(index)/junit.xml", encoding: .utf8)
            let suites = junit.components(separatedBy: "<testsuite ").dropFirst()
            #expect(suites.count == 1, "pod \(index) ran \(suites.count) scenarios")
            for suite in suites {
                if let name = suite.split(separator: "\"").dropFirst().first { names.append(String(name)) }
                // The run began at --start-at, not before (timestamps are whole seconds).
                if let range = suite.range(of: "timestamp=\""), let stamp = suite[range.upperBound...].split(separator: "\"").first,
                    let began = ISO8601DateFormatter().date(from: String(stamp) + "Z")
                {
                    #expect(began >= startDate.addingTimeInterval(-1), "pod \(index) began at \(stamp), before \(start)")
                }
            }
        }
        #expect(Set(names) == Set((1...4).map { "shard-scenario-\($0)" }), "\(names)")
    }

    @Test("a pod's variables that do not name a shard, and a start time long past, are refused with exit 2")
    func badShardInput() async throws {
        let folder = try scenarios()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let cases: [([String: String], [String], String)] = [
            (["JOB_COMPLETION_INDEX": "two", "JOB_COMPLETIONS": "4"], [], "JOB_COMPLETION_INDEX must be a whole number from 0 to 3"),
            (["JOB_COMPLETION_INDEX": "4", "JOB_COMPLETIONS": "4"], [], "JOB_COMPLETION_INDEX must be a whole number from 0 to 3"),
            (["JOB_COMPLETION_INDEX": "1"], [], "JOB_COMPLETIONS is not"),
            (["JOB_COMPLETION_INDEX": "0", "JOB_COMPLETIONS": "0"], [], "JOB_COMPLETIONS must be a whole number of 1 or more"),
            ([:], ["--start-at", "2020-01-01T00:00:00Z"], "s in the past"),
            ([:], ["--start-at", "tomorrow"], "--start-at takes an RFC 3339 time"),
        ]
        for (environment, flags, message) in cases {
            let output = try await HarnessBinary.run(["run", folder, "--reports", "\(folder)/r", "--junit", "\(folder)/r/junit.xml"] + flags, environment: environment)
            #expect(output.status == 2, "\(environment) \(flags): \(output.standardError)")
            #expect(output.standardError.contains(message), "\(environment) \(flags): \(output.standardError)")
            #expect(!FileManager.default.fileExists(atPath: "\(folder)/r/junit.xml"))
        }
    }

    @Test("a fleet scenario runs on every pod with its own disjoint range of members; the plain scenarios are shared out; the merged report counts every member once")
    func fleetShards() async throws {
        let folder = try scenarios()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let fleet = """
            name: fleet-shards
            fleet: { name: sensors, id: "sensor-${index}", count: 10, profile: umqtt-robust }
            steps:
              - connect: {}
              - expect: { connack: accepted, devices: all, within: 5s }
            """
        try Data(fleet.utf8).write(to: URL(fileURLWithPath: folder + "/fleet.yaml"))
        var junits: [String] = []
        var members: [String] = []
        var plain = 0
        for index in 0..<4 {
            let junit = "\(folder)/pod-\(index)/junit.xml"
            let output = try await HarnessBinary.run(
                ["run", folder, "--junit", junit, "--reports", "\(folder)/pod-\(index)", "--no-color"],
                environment: ["JOB_COMPLETION_INDEX": "\(index)", "JOB_COMPLETIONS": "4"],
                timeout: .seconds(120)
            )
            #expect(output.status == 0, "pod \(index): \(output.standardOutput)\(output.standardError)")
            let text = try String(contentsOfFile: junit, encoding: .utf8)
            #expect(text.contains("name=\"fleet-shards"), "pod \(index) did not run the fleet")
            plain += text.components(separatedBy: "<testsuite name=\"shard-scenario-").count - 1
            if let range = text.range(of: "fleet.sensors.members\" value=\"") {
                members.append(String(text[range.upperBound...].prefix { $0 != "\"" }))
            }
            junits.append(junit)
        }
        // 10 members over 4 pods: 0..<2, 2..<5, 5..<7, 7..<10.
        #expect(members == ["0..&lt;2", "2..&lt;5", "5..&lt;7", "7..&lt;10"])
        #expect(plain == 4)
        let merged = try await HarnessBinary.run(["report", "merge"] + junits + ["--junit", "\(folder)/merged.xml", "--overview", "\(folder)/index.html"])
        #expect(merged.status == 0, "\(merged.standardError)")
        let histograms = try String(contentsOfFile: "\(folder)/merged.histograms.json", encoding: .utf8)
        let overview = try String(contentsOfFile: "\(folder)/index.html", encoding: .utf8)
        #expect(histograms.components(separatedBy: "step-02.latency").count - 1 == 4)
        // The overview's distribution of step 2 merges the four pods: 10 samples.
        #expect(overview.contains("step-02.latency</td><td class=\"time\">4</td><td class=\"time\">10</td>"), "\(overview)")
    }
}
