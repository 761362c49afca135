import Foundation
import Devices
import IoTHubCore
import IoTHubSimulation
import MQTTCore

/// Decides whether an expectation holds by watching the timeline from the causing action.
struct ExpectationEvaluator: Sendable {
    let timeline: Timeline
    let deviceID: DeviceID

    struct Evaluation {
        var status: StepStatus
        var latency: Duration?
    }

    func evaluate(_ expectation: Expectation, cause: ScenarioRunner.Cause) async -> Evaluation {
        let windowEnd = cause.time &+ UInt64(max(0, expectation.deadline.duration.nanoseconds))
        switch (expectation.subject, expectation.deadline) {
        case (.connack(let code), _):
            return await expectConnAck(code, cause: cause, windowEnd: windowEnd, expectation: expectation)
        case (.led(let isOn), .within):
            return await expectLED(isOn, cause: cause, windowEnd: windowEnd, expectation: expectation)
        case (.led(let isOn), .holdsFor):
            return await expectLEDHolds(isOn, cause: cause, windowEnd: windowEnd, expectation: expectation)
        }
    }

    // MARK: CONNACK

    private func expectConnAck(_ code: ConnectReturnCode, cause: ScenarioRunner.Cause, windowEnd: UInt64, expectation: Expectation) async -> Evaluation {
        let match = await timeline.firstMatch(from: cause.index, until: windowEnd) { entry in
            switch entry.observation {
            case .device(.connAckReceived), .device(.crashed), .device(.transportFailed): true
            default: false
            }
        }
        let expected = "CONNACK \(code) \(expectation.deadline) of \(causeName(cause))"
        guard let (_, entry) = match else {
            return Evaluation(status: .failed(Failure(expected: expected, observed: "no CONNACK")), latency: nil)
        }
        let latency = Duration.nanoseconds(Int64(entry.time &- cause.time))
        let after = "after \(Self.formatMilliseconds(latency))"
        switch entry.observation {
        case .device(.connAckReceived(let connack)):
            if connack.returnCode != code {
                return Evaluation(status: .failed(Failure(expected: expected, observed: "CONNACK \(connack.returnCode) \(after)")), latency: latency)
            }
            if entry.time > windowEnd {
                return Evaluation(status: .failed(Failure(expected: expected, observed: "CONNACK \(connack.returnCode) \(after), too late")), latency: latency)
            }
            return Evaluation(status: .passed, latency: latency)
        case .device(.crashed(let reason)), .device(.transportFailed(let reason)):
            return Evaluation(status: .failed(Failure(expected: expected, observed: "no CONNACK: the device stopped \(after): \(reason)")), latency: nil)
        default:
            return Evaluation(status: .failed(Failure(expected: expected, observed: "no CONNACK")), latency: nil)
        }
    }

    // MARK: LED

    private func expectLED(_ isOn: Bool, cause: ScenarioRunner.Cause, windowEnd: UInt64, expectation: Expectation) async -> Evaluation {
        let match = await timeline.firstMatch(from: cause.index, until: windowEnd) { entry in
            switch entry.observation {
            case .device(.led(let state, _)): state == isOn
            case .device(.crashed): true
            default: false
            }
        }
        let expected = "LED \(Self.name(isOn)) \(expectation.deadline) of \(causeName(cause))"
        if let (_, entry) = match, case .device(.led) = entry.observation {
            let latency = Duration.nanoseconds(Int64(entry.time &- cause.time))
            if entry.time > windowEnd {
                return Evaluation(
                    status: .failed(Failure(expected: expected, observed: "LED \(Self.name(isOn)) after \(Self.formatMilliseconds(latency)), too late")),
                    latency: latency
                )
            }
            return Evaluation(status: .passed, latency: latency)
        }
        return Evaluation(status: .failed(Failure(expected: expected, observed: describeLED(cause: cause, windowEnd: windowEnd))), latency: nil)
    }

    private func expectLEDHolds(_ isOn: Bool, cause: ScenarioRunner.Cause, windowEnd: UInt64, expectation: Expectation) async -> Evaluation {
        let expected = "LED \(Self.name(isOn)) \(expectation.deadline) from \(causeName(cause))"
        let initial = ledState(before: cause.index)
        if initial != isOn {
            return Evaluation(status: .failed(Failure(expected: expected, observed: "LED was \(Self.name(initial)) when \(causeName(cause)) started")), latency: nil)
        }
        let violation = await timeline.firstMatch(from: cause.index, until: windowEnd) { entry in
            if case .device(.led(let state, _)) = entry.observation { return state != isOn }
            return false
        }
        if let (_, entry) = violation, entry.time <= windowEnd {
            let at = Duration.nanoseconds(Int64(entry.time &- cause.time))
            return Evaluation(
                status: .failed(Failure(expected: expected, observed: "LED switched \(Self.name(!isOn)) after \(Self.formatMilliseconds(at))")),
                latency: at
            )
        }
        return Evaluation(status: .passed, latency: nil)
    }

    /// The LED state after every write before `index` (the LED starts off).
    private func ledState(before index: Int) -> Bool {
        var state = false
        for entry in timeline.entries().prefix(index) {
            if case .device(.led(let isOn, _)) = entry.observation { state = isOn }
        }
        return state
    }

    /// What the LED did in the window, for a failure message.
    private func describeLED(cause: ScenarioRunner.Cause, windowEnd: UInt64) -> String {
        let entries = timeline.entries()
        var writes: [String] = []
        var stopped: String?
        var messages = 0
        for entry in entries.dropFirst(cause.index) where entry.time <= windowEnd {
            let at = Self.formatMilliseconds(.nanoseconds(Int64(entry.time &- cause.time)))
            switch entry.observation {
            case .device(.led(let isOn, _)): writes.append("\(Self.name(isOn)) at +\(at)")
            case .device(.messageReceived): messages += 1
            case .device(.crashed(let reason)): stopped = "the device stopped at +\(at): \(reason)"
            default: break
            }
        }
        var parts: [String] = []
        if writes.isEmpty {
            parts.append("LED stayed \(Self.name(ledState(before: cause.index)))")
        } else {
            parts.append("LED written \(writes.joined(separator: ", "))")
        }
        parts.append("\(messages) message\(messages == 1 ? "" : "s") reached the device")
        if let stopped { parts.append(stopped) }
        return parts.joined(separator: "; ")
    }

    private func causeName(_ cause: ScenarioRunner.Cause) -> String {
        cause.step == 0 ? "the start of the run" : "step \(cause.step)"
    }

    static func name(_ isOn: Bool) -> String { isOn ? "on" : "off" }

    /// `0.412ms`, `12.3ms`, `1502ms`.
    static func formatMilliseconds(_ duration: Duration) -> String {
        let milliseconds = Double(duration.nanoseconds) / 1e6
        if milliseconds < 10 { return "\(String(format: "%.3f", milliseconds))ms" }
        if milliseconds < 100 { return "\(String(format: "%.2f", milliseconds))ms" }
        return "\(String(format: "%.1f", milliseconds))ms"
    }
}
