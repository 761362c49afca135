import Devices
import Foundation
import IoTHubCore
import MQTTCore
import Reporting

/// Renders a run's record as readable lines for JUnit's system-out: time offset from the start
/// of the run, who, what, size and key fields.
enum TraceFormatter {
    /// Trace lines kept in JUnit's system-out; the full trace is in trace.jsonl.
    static let systemOutLimit = 5000

    static func render(_ result: ScenarioResult) -> String {
        let devices = result.target.devices.map { spec in
            switch spec.settings {
            case .simulated(let simulated): "\(spec.id) (simulated, \(simulated.profile))"
            case .process, .serial, .client: "\(spec.id) (\(spec.kind.rawValue))"
            }
        }.joined(separator: ", ")
        var lines = [
            "scenario \(result.scenario.name) (\(result.scenario.path)); target \(result.target.name); hub \(result.target.hub); devices \(devices)",
            "times from the start of the run; packets as seen by each device's own codec where it has one, else by the hub",
        ]
        let multiDevice = result.target.devices.count > 1
        var titles: [StepNumber: String] = [:]
        func collect(_ steps: [Step]) {
            for step in steps {
                titles[step.number] = step.title
                if case .repeatBlock(let block) = step.kind { collect(block.steps) }
            }
        }
        collect(result.scenario.steps + result.scenario.finallySteps)
        var omitted = 0
        for entry in result.entries {
            var text: String?
            switch entry.event {
            case .step(let number, let iteration):
                text = "step \(number)\(iteration.map { " (iteration \($0))" } ?? ""): \(titles[number] ?? "")"
            case .packet(let observation):
                text = (multiDevice ? "[\(observation.device?.string ?? "?")] " : "") + RecordText.packetLine(observation)
            default:
                text = RecordText.line(for: entry.event)
            }
            guard let text else { continue }
            if lines.count >= systemOutLimit {
                omitted += 1
                continue
            }
            lines.append("\(RecordText.formatOffset(entry.time &- result.startTime))  \(ControlCharacterEscaping.escape(text))")
        }
        if omitted > 0 { lines.append("... \(omitted) more lines in trace.jsonl") }
        if let error = result.setupError { lines.append("setup error: \(ControlCharacterEscaping.escape(error))") }
        return lines.joined(separator: "\n") + "\n"
    }
}
