import Devices
import Foundation
import IoTHubCore
import MQTTCore
import Reporting

extension ScenarioResult {
    /// The step's name in reports: `05 expect led on within 500ms`.
    public static func caseName(_ step: Step) -> String {
        (step.number < 10 ? "0\(step.number)" : "\(step.number)") + " " + step.title
    }

    /// The JUnit test suite for this run: a test case per step, latency and round-trip
    /// properties, and the trace in system-out.
    public func makeTestSuite(hostname: String = ProcessInfo.processInfo.hostName) -> JUnitTestSuite {
        var cases = steps.map { result -> JUnitTestCase in
            let seconds = Double(result.duration.nanoseconds) / 1e9
            var testCase = JUnitTestCase(name: Self.caseName(result.step), classname: scenario.name, time: seconds)
            switch result.status {
            case .passed:
                testCase.outcome = .passed
            case .failed(let failure):
                testCase.outcome = .failed(
                    message: failure.description,
                    type: "ExpectationFailed",
                    details: "\(failure.description)\nstep \(result.step.number) at \(result.step.location)\n"
                )
            case .errored(let message):
                testCase.outcome = .errored(message: message, type: "StepError", details: "\(message)\nstep \(result.step.number) at \(result.step.location)\n")
            case .skipped(let reason):
                testCase.outcome = .skipped(message: reason)
            }
            return testCase
        }
        if let setupError {
            cases.insert(JUnitTestCase(name: "00 setup", classname: scenario.name, time: 0, outcome: .errored(message: setupError, type: "SetupError", details: setupError)), at: 0)
        }
        return JUnitTestSuite(
            name: scenario.name,
            package: scenario.name,
            timestamp: startDate,
            hostname: hostname.isEmpty ? "localhost" : hostname,
            time: Double(duration.nanoseconds) / 1e9,
            properties: makeProperties(),
            testCases: cases,
            systemOut: TraceFormatter.render(self),
            systemErr: ""
        )
    }

    func makeProperties() -> [JUnitProperty] {
        var properties = [
            JUnitProperty("scenario.path", scenario.path),
            JUnitProperty("hub", "\(scenario.hub)"),
            JUnitProperty("device.id", scenario.device.id.string),
            JUnitProperty("device.kind", scenario.device.kind.rawValue),
            JUnitProperty("device.profile", scenario.device.profile.name),
        ]
        for result in steps {
            guard case .expect(let expectation) = result.step.kind else { continue }
            let label = "step-" + (result.step.number < 10 ? "0" : "") + String(result.step.number)
            if let latency = result.latency {
                properties.append(JUnitProperty("latency.\(label).ms", Self.milliseconds(latency)))
            }
            properties.append(JUnitProperty("deadline.\(label).ms", Self.milliseconds(expectation.deadline.duration)))
        }
        let vantage = TraceFormatter.preferredVantage(timeline)
        let packets = TraceFormatter.packets(timeline, vantage: vantage)
        properties.append(JUnitProperty("packets.vantage", vantage == .device ? "device" : "hub"))
        var grouped: [String: [Duration]] = [:]
        var order: [String] = []
        for sample in RoundTrips.measure(packets) {
            if grouped[sample.name] == nil { order.append(sample.name) }
            grouped[sample.name, default: []].append(sample.duration)
        }
        for name in order {
            let samples = (grouped[name] ?? []).sorted()
            guard let median = samples.dropFirst(samples.count / 2).first, let maximum = samples.last else { continue }
            properties.append(JUnitProperty("roundtrip.\(name).ms", Self.milliseconds(median)))
            if samples.count > 1 {
                properties.append(JUnitProperty("roundtrip.\(name).max.ms", Self.milliseconds(maximum)))
                properties.append(JUnitProperty("roundtrip.\(name).count", String(samples.count)))
            }
        }
        properties += cloudToDeviceBreakdown()
        let sent = packets.filter { $0.direction == .outbound }
        let received = packets.filter { $0.direction == .inbound }
        properties.append(JUnitProperty("packets.sent", String(sent.count)))
        properties.append(JUnitProperty("packets.received", String(received.count)))
        properties.append(JUnitProperty("bytes.sent", String(sent.reduce(0) { $0 + $1.size })))
        properties.append(JUnitProperty("bytes.received", String(received.reduce(0) { $0 + $1.size })))
        return properties
    }

    /// For each `send` step: send -> the device receives PUBLISH -> the LED is written.
    private func cloudToDeviceBreakdown() -> [JUnitProperty] {
        var properties: [JUnitProperty] = []
        for result in steps {
            guard case .send = result.step.kind else { continue }
            guard let start = timeline.firstIndex(where: { $0.observation == .stepStarted(number: result.step.number) }) else { continue }
            let sendTime = timeline[start].time
            let rest = timeline[(start + 1)...]
            let label = "c2d.step-" + (result.step.number < 10 ? "0" : "") + String(result.step.number)
            guard let publish = rest.first(where: {
                if case .device(.messageReceived) = $0.observation { return true }
                if case .stepStarted = $0.observation { return false }
                return false
            }) else { continue }
            properties.append(JUnitProperty("\(label).send-to-publish.ms", Self.milliseconds(.nanoseconds(Int64(publish.time &- sendTime)))))
            if let led = rest.first(where: { entry in
                if case .device(.led) = entry.observation { return entry.time >= publish.time }
                return false
            }) {
                properties.append(JUnitProperty("\(label).publish-to-led.ms", Self.milliseconds(.nanoseconds(Int64(led.time &- publish.time)))))
                properties.append(JUnitProperty("\(label).send-to-led.ms", Self.milliseconds(.nanoseconds(Int64(led.time &- sendTime)))))
            }
        }
        return properties
    }

    /// Milliseconds with microsecond precision: `0.412`.
    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.3f", Double(duration.nanoseconds) / 1e6)
    }
}
