import ArgumentParser
import Foundation
import NIOPosix
import Reporting
import Scenario

/// `harness run`: runs scenarios and writes JUnit XML.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run scenarios and write a JUnit XML report.",
        discussion: """
            Every file is checked before anything runs; any problem is reported with \
            file:line:column and the command exits 2. Exit status 1 when a step failed.
            """
    )

    @Argument(help: "Scenario files or folders (searched for .yaml and .yml).")
    var paths: [String]

    @Option(help: "Where to write the JUnit XML report.")
    var junit: String = "reports/junit.xml"

    @Flag(help: "Print only failures and the closing line.")
    var quiet = false

    @Flag(name: .customLong("no-color"), help: "Never colour the output.")
    var noColor = false

    func run() async throws {
        let files = try ScenarioFiles.resolve(paths)
        var scenarios: [Scenario] = []
        var diagnostics: [String] = []
        for file in files {
            do {
                scenarios.append(try ScenarioLoader.load(path: file))
            } catch {
                diagnostics.append(error.description)
            }
        }
        if !diagnostics.isEmpty { throw InvalidInput(description: diagnostics.joined(separator: "\n")) }

        let console = ConsoleReporter(useColor: noColor ? false : nil, isQuiet: quiet)
        let runner = ScenarioRunner(environment: RunEnvironment(group: MultiThreadedEventLoopGroup.singleton))
        var report = JUnitReport()
        var redactor = SecretRedactor()
        var passed = 0
        var failed = 0
        var skipped = 0
        var failedScenarios = 0
        let started = ContinuousClock.now
        for scenario in scenarios {
            console.scenarioStarted(name: scenario.name, path: scenario.path)
            let result = await runner.run(scenario) { step in
                console.step(Self.outcome(step.status), name: ScenarioResult.caseName(step.step), seconds: Self.seconds(step.duration), detail: Self.detail(step))
            }
            if let setupError = result.setupError { console.step(.errored, name: "setup", seconds: 0, detail: setupError) }
            for secret in result.secrets { redactor.register(secret) }
            report.suites.append(result.makeTestSuite())
            passed += result.passedCount
            failed += result.failedCount
            skipped += result.skippedCount
            if !result.isPassed { failedScenarios += 1 }
        }
        let elapsed = ContinuousClock.now - started
        let xml = JUnitXMLWriter(redactor: redactor).render(report)
        do {
            try ReportFileWriter.write(xml, to: junit)
        } catch {
            throw InvalidInput(description: "error: \(error)")
        }
        let seconds = Self.seconds(elapsed)
        let scenarioText = "\(scenarios.count) scenario\(scenarios.count == 1 ? "" : "s")" + (failedScenarios > 0 ? ", \(failedScenarios) failed" : "")
        console.summary(passed: passed, failed: failed, skipped: skipped, detail: "(\(scenarioText), \(ConsoleReporter.formatTime(seconds))); JUnit: \(junit)")
        if failed > 0 { throw ExitStatus.failure }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func outcome(_ status: StepStatus) -> ConsoleReporter.Outcome {
        switch status {
        case .passed: .passed
        case .failed: .failed
        case .errored: .errored
        case .skipped: .skipped
        }
    }

    static func detail(_ step: StepResult) -> String? {
        switch step.status {
        case .passed:
            return step.latency.map { "observed after \(String(format: "%.3f", Self.seconds($0) * 1000)) ms" }
        case .failed(let failure):
            return "\(failure)\nat \(step.step.location)"
        case .errored(let message):
            return "\(message)\nat \(step.step.location)"
        case .skipped(let reason):
            return reason
        }
    }
}
