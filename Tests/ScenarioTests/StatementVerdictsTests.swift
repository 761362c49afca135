import Foundation
@testable import Scenario
import Testing

/// Verdicts per statement from step outcomes, and the comparison with a broker's verdicts file.
@Suite struct StatementVerdictsTests {
    /// A result whose steps ended as `statuses` (one per step of `yaml`).
    func result(_ yaml: String, _ statuses: [StepStatus]) throws -> ScenarioResult {
        let scenario = try ScenarioLoader.load(yaml: yaml, path: "v.yaml")
        let steps = zip(scenario.steps + scenario.finallySteps, statuses).map { StepResult(step: $0, status: $1, startTime: 0, endTime: 0) }
        return ScenarioResult(scenario: scenario, target: scenario.targets[0], startDate: Date(), startTime: 0, endTime: 0, steps: steps, entries: [], setupError: nil)
    }

    let yaml = """
        name: s
        device: { id: c, kind: client }
        steps:
          - connect: {}
          - expect: { connack: accepted, within: 1s }
            statements: [MQTT-3.1.4-4]
          - expect: { disconnected: false, for: 1s }
            statements: [MQTT-3.1.2-24, MQTT-4.8.0-1]
          - expect: { connack: accepted, within: 1s }
            statements: [MQTT-3.2.0-1]

        """

    @Test("a statement is decided only by the steps that name it: fail, pass, not applicable, not reached; failures outside statements are listed")
    func verdicts() throws {
        let failure = Failure(expected: "x", observed: "y")
        let run = try result(yaml, [.failed(failure), .passed, .notApplicable(reason: "n"), .skipped(reason: "step 1 failed")])
        let verdicts = StatementVerdicts([run])
        #expect(verdicts.statements(.passed) == ["MQTT-3.1.4-4"])
        #expect(verdicts.statements(.notApplicable) == ["MQTT-3.1.2-24", "MQTT-4.8.0-1"])
        #expect(verdicts.statements(.notReached) == ["MQTT-3.2.0-1"])
        #expect(verdicts.untaggedFailures.map(\.step) == [StepNumber(1)])
        #expect(verdicts.untaggedFailures.first?.reason == "expected x; observed y")
        #expect(!verdicts.isPassed)
        // The same statement failed by one scenario and passed by another fails, naming the failing step.
        let other = try result(yaml, [.passed, .failed(failure), .passed, .passed])
        let both = StatementVerdicts([run, other])
        let row = try #require(both.rows.first { $0.statement == "MQTT-3.1.4-4" })
        #expect(row.verdict == .failed)
        #expect(row.steps.map(\.name) == ["s step 2"])
        #expect(both.coverage(of: .mqtt311) == (checked: 4, total: 141))
    }

    func verdictsFile(_ text: String) throws -> String { try ExpectedVerdictsTests.verdictsFile(text) }

    @Test("a verdicts file matches, or every difference in either direction is named; untagged failures count")
    func differences() throws {
        let text = NormativeStatements.mqtt311["MQTT-3.1.4-4"]?.text ?? ""
        let file = try verdictsFile("""
            broker: b
            device: { username: u }
            fails:
              - statement: MQTT-3.1.4-4
                text: "\(text)"
                instead: "it refuses"
            not_applicable:
              - statement: MQTT-3.1.2-24
                reason: r
              - statement: MQTT-4.8.0-1
                reason: r
            not_reached:
              - statement: MQTT-3.2.0-1
                reason: r

            """)
        let expected = try ExpectedVerdicts.load(path: file)
        #expect(expected.device == ["username": "u"])
        let failure = Failure(expected: "x", observed: "y")
        let matching = StatementVerdicts([try result(yaml, [.passed, .failed(failure), .notApplicable(reason: "n"), .skipped(reason: "step 2 failed")])])
        #expect(expected.differences(from: matching) == [])
        // The broker now passes what the file says it fails, and fails what the file says passes.
        let changed = StatementVerdicts([try result(yaml, [.failed(failure), .passed, .notApplicable(reason: "n"), .failed(failure)])])
        let lines = expected.differences(from: changed)
        #expect(lines.count == 3, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("MQTT-3.1.4-4: the file says FAIL, the run says pass") })
        #expect(lines.contains { $0.hasPrefix("MQTT-3.2.0-1: the file says not reached, the run says FAIL (s step 4 at v.yaml:") && $0.hasSuffix("expected x; observed y)") })
        #expect(lines.contains { $0.hasPrefix("(no statement): s step 1 at v.yaml:") })
    }

    @Test("a statement passes only when every check of it ran: one passed and one not reached after an earlier failure is not reached, with the check that passed")
    func partlyReached() throws {
        let yaml = """
            name: p
            device: { id: c, kind: client }
            steps:
              - connect: {}
                statements: [MQTT-3.1.4-4]
              - expect: { connack: accepted, within: 1s }
              - expect: { disconnected: false, for: 1s }
                statements: [MQTT-3.1.4-4]

            """
        let failure = Failure(expected: "x", observed: "y")
        let run = try result(yaml, [.passed, .failed(failure), .skipped(reason: "step 2 failed")])
        let row = try #require(StatementVerdicts([run]).rows.first)
        #expect(row.verdict == .notReached)
        #expect(row.steps.map(\.name) == ["p step 3"])
        #expect(row.passedSteps.map(\.name) == ["p step 1"])
        // All checks ran: pass. A not-applicable check next to a passing one: pass.
        #expect(StatementVerdicts([try result(yaml, [.passed, .passed, .passed])]).rows.first?.verdict == .passed)
        #expect(StatementVerdicts([try result(yaml, [.passed, .passed, .notApplicable(reason: "n")])]).rows.first?.verdict == .passed)
        // Checks skipped after a not-applicable branch are not applicable, not "not reached".
        let skippedAsNotApplicable = try result(yaml, [.notApplicable(reason: "n"), .skipped(reason: "x"), .skipped(reason: "not applicable after step 1: n")])
        #expect(StatementVerdicts([skippedAsNotApplicable]).rows.first?.verdict == .notApplicable)
        // A run that could not start reaches nothing.
        #expect(StatementVerdicts([try result(yaml, [.skipped(reason: "the run could not start"), .skipped(reason: "the run could not start"), .skipped(reason: "the run could not start")])]).rows.first?.verdict == .notReached)
    }

    @Test("the verdict words are those of the table: pass, FAIL, n/a, not reached")
    func labels() {
        #expect([StatementVerdicts.Verdict.passed, .failed, .notApplicable, .notReached].map(\.label) == ["pass", "FAIL", "n/a", "not reached"])
    }
}
