import Foundation
@testable import HarnessCLI
@testable import Scenario
import Testing

/// The statement table `harness conform` prints, and its closing line.
@Suite struct StatementTableTests {
    let yaml = """
        name: t
        device: { id: c, kind: client }
        steps:
          - connect: {}
            statements: [MQTT-3.1.4-4]
          - expect: { connack: accepted, within: 1s }
            statements: [MQTT-3.2.0-1]
          - expect: { disconnected: false, for: 1s }
            statements: [MQTT-3.1.4-4, MQTT-3.1.2-24]
          - expect: { disconnected: false, for: 1s }
            statements: [MQTT-3.1.4-4]

        """

    func verdicts(_ statuses: [StepStatus]) throws -> StatementVerdicts {
        let scenario = try ScenarioLoader.load(yaml: yaml, path: "t.yaml")
        let steps = zip(scenario.steps, statuses).map { StepResult(step: $0, status: $1, startTime: 0, endTime: 0) }
        return StatementVerdicts([ScenarioResult(scenario: scenario, target: scenario.targets[0], startDate: Date(), startTime: 0, endTime: 0, steps: steps, entries: [], setupError: nil)])
    }

    @Test("a statement not reached says so in the table's words, names the steps that did not run and how many of its checks passed")
    func notReached() throws {
        let failure = Failure(expected: "CONNACK", observed: "nothing")
        let table = StatementTable(verdicts: try verdicts([.passed, .failed(failure), .skipped(reason: "step 2 failed"), .skipped(reason: "step 2 failed")]))
        let lines = table.render().split(separator: "\n").map(String.init)
        #expect(lines.first == "statement       result       decided by", "\(lines)")
        #expect(lines.contains("MQTT-3.1.2-24   not reached  t step 3 (t.yaml:8:5): step 2 failed"), "\(lines)")
        #expect(lines.contains("MQTT-3.1.4-4    not reached  t step 3 (t.yaml:8:5): step 2 failed (and 1 more step); 1 other check of it passed"), "\(lines)")
        #expect(lines.contains("MQTT-3.2.0-1    FAIL         t step 2 (t.yaml:6:5): expected CONNACK; observed nothing"), "\(lines)")
        #expect(!table.render().contains("skip"))
        #expect(table.summary(standard: .mqtt311) == "3 of the 141 MQTT 3.1.1 statements checked: 0 pass, 1 fail, 0 n/a, 2 not reached")
    }

    @Test("a statement passes only when all its checks ran, and the table lists the scenarios behind it")
    func passes() throws {
        let table = StatementTable(verdicts: try verdicts([.passed, .passed, .passed, .passed]))
        let lines = table.render().split(separator: "\n").map(String.init)
        #expect(lines.contains("MQTT-3.1.4-4    pass         t"), "\(lines)")
        #expect(table.summary(standard: .mqtt311) == "3 of the 141 MQTT 3.1.1 statements checked: 3 pass, 0 fail, 0 n/a, 0 not reached")
    }
}
