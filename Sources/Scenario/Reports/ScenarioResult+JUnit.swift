import Devices
import Foundation
import IoTHubCore
import MQTTCore
import Reporting

extension ScenarioResult {
    /// The step's name in reports: `05 expect led on within 500ms`, with the device when the
    /// scenario has several.
    public static func caseName(_ step: Step, showingDevice: Bool = false) -> String {
        step.number.padded + " " + step.title + (showingDevice || step.fleet != nil ? step.subjectName.map { " [\($0)]" } ?? "" : "")
    }

    /// The step's name in this run's reports.
    public func caseName(_ step: Step) -> String {
        Self.caseName(step, showingDevice: target.devices.count + target.fleets.count > 1)
    }

    /// The JUnit test suite for this run: a test case per top-level step, latency and
    /// round-trip properties, and the trace in system-out.
    public func makeTestSuite(hostname: String = ProcessInfo.processInfo.hostName) -> JUnitTestSuite {
        var cases = steps.map { result -> JUnitTestCase in
            let seconds = Double(result.duration.nanoseconds) / 1e9
            var testCase = JUnitTestCase(name: caseName(result.step), classname: suiteName, time: seconds)
            let place = "step \(result.step.number) at \(result.step.location)"
            switch result.status {
            case .passed:
                testCase.outcome = .passed
            case .failed(let failure):
                testCase.outcome = .failed(message: failure.description, type: "ExpectationFailed", details: "\(failure.description)\n\(place)\n")
            case .errored(let message):
                testCase.outcome = .errored(message: message, type: "StepError", details: "\(message)\n\(place)\n")
            case .skipped(let reason):
                testCase.outcome = .skipped(message: reason)
            case .notApplicable(let reason):
                testCase.outcome = .skipped(message: "not applicable: \(reason)")
            }
            return testCase
        }
        if let setupError {
            cases.insert(JUnitTestCase(name: "00 setup", classname: suiteName, time: 0, outcome: .errored(message: setupError, type: "SetupError", details: setupError)), at: 0)
        }
        return JUnitTestSuite(
            name: suiteName,
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
            JUnitProperty("target", target.name),
            JUnitProperty("hub", "\(target.hub)"),
            JUnitProperty("seed", String(seed)),
        ]
        for device in target.devices {
            let prefix = target.devices.count > 1 ? "device.\(device.id)" : "device"
            properties.append(JUnitProperty("\(prefix).id", device.id.string))
            properties.append(JUnitProperty("\(prefix).kind", device.kind.rawValue))
            if case .simulated(let simulated) = device.settings {
                properties.append(JUnitProperty("\(prefix).profile", simulated.profile.name))
            }
        }
        for fleet in target.fleets {
            let prefix = "fleet.\(fleet.name)"
            properties.append(JUnitProperty("\(prefix).id", fleet.idPattern.description))
            properties.append(JUnitProperty("\(prefix).count", String(fleet.count)))
            properties.append(JUnitProperty("\(prefix).members", "\(fleet.members.lowerBound)..<\(fleet.members.upperBound)"))
            properties.append(JUnitProperty("\(prefix).kind", fleet.template.kind.rawValue))
            if case .simulated(let simulated) = fleet.template.settings {
                properties.append(JUnitProperty("\(prefix).profile", simulated.profile.name))
            }
        }
        for result in steps {
            let label = "step-" + result.step.number.padded
            if let fleet = result.fleet { properties += Self.fleetProperties(fleet, label: label) }
            if case .provision = result.step.kind { properties += Self.provisioningProperties(result, label: label) }
            if case .expect(let expectation) = result.step.kind {
                if let latency = result.latency { properties.append(JUnitProperty("latency.\(label).ms", Self.milliseconds(latency))) }
                properties.append(JUnitProperty("deadline.\(label).ms", Self.milliseconds(expectation.deadline.duration)))
            }
            if let chaos = result.chaos {
                properties.append(JUnitProperty("chaos.\(label).seed", String(chaos.seed)))
                properties.append(JUnitProperty("chaos.\(label).iterations", String(chaos.iterations)))
                properties.append(JUnitProperty("chaos.\(label).strikes", String(chaos.strikes.count)))
            }
            if let repetition = result.repetition {
                properties.append(JUnitProperty("repeat.\(label).iterations", String(repetition.iterationsRun)))
                for metric in repetition.samples.keys.sorted() {
                    properties.append(JUnitProperty("repeat.\(label).\(metric).count", String(repetition.samples[metric]?.count ?? 0)))
                    for statistic in LatencyThreshold.Statistic.allCases {
                        if let value = repetition.statistic(statistic, of: metric) {
                            properties.append(JUnitProperty("repeat.\(label).\(metric).\(statistic.rawValue).ms", Self.milliseconds(value)))
                        }
                    }
                }
            }
        }
        properties += roundTripProperties()
        properties += cloudToDeviceBreakdown()
        let packets = self.packets
        let toHub = packets.filter { $0.flow == .toHub }
        let toDevice = packets.filter { $0.flow == .toDevice }
        properties.append(JUnitProperty("packets.to_hub", String(toHub.count)))
        properties.append(JUnitProperty("packets.to_device", String(toDevice.count)))
        properties.append(JUnitProperty("bytes.to_hub", String(toHub.reduce(0) { $0 + $1.record.size })))
        properties.append(JUnitProperty("bytes.to_device", String(toDevice.reduce(0) { $0 + $1.record.size })))
        return properties
    }

    /// A fleet step's tally and its members' latency percentiles (`fleet.step-05.p99.ms`).
    static func fleetProperties(_ fleet: FleetStepOutcome, label: String) -> [JUnitProperty] {
        let prefix = "fleet.\(label)"
        var properties = [
            JUnitProperty("\(prefix).count", String(fleet.selected)),
            JUnitProperty("\(prefix).required", String(fleet.required)),
            JUnitProperty("\(prefix).passed", String(fleet.passed)),
            JUnitProperty("\(prefix).missed", String(fleet.missedCount)),
        ]
        let percentiles: [(String, Double)] = [("p50", 50), ("p90", 90), ("p99", 99), ("p99_9", 99.9)]
        for (name, percentile) in percentiles {
            if let value = fleet.latencies.value(atPercentile: percentile) {
                properties.append(JUnitProperty("\(prefix).\(name).ms", milliseconds(.nanoseconds(Int64(clamping: value)))))
            }
        }
        if !fleet.latencies.isEmpty {
            properties.append(JUnitProperty("\(prefix).max.ms", milliseconds(.nanoseconds(Int64(clamping: fleet.latencies.maximum)))))
        }
        for (index, miss) in fleet.misses.enumerated() {
            properties.append(JUnitProperty("\(prefix).missed.\(index + 1)", "\(miss.device): \(miss.observed)"))
        }
        return properties
    }

    /// Round trips from each device's own codec (`roundtrip.connect-connack.ms`) and, for the
    /// hub's requests to devices, from the hub's (`roundtrip.hub.publish-puback.ms`).
    private func roundTripProperties() -> [JUnitProperty] {
        var groups: [String: [PacketRecord]] = [:]
        var groupOrder: [String] = []
        for packet in packets {
            let key = "\(packet.vantage == .hub ? "hub" : "device")|\(packet.device?.string ?? "")"
            if groups[key] == nil { groupOrder.append(key) }
            groups[key, default: []].append(packet.record)
        }
        var samples: [String: [Duration]] = [:]
        var order: [String] = []
        for key in groupOrder {
            let prefix = key.hasPrefix("hub|") ? "hub." : ""
            for sample in RoundTrips.measure(groups[key] ?? []) {
                let name = prefix + sample.name
                if samples[name] == nil { order.append(name) }
                samples[name, default: []].append(sample.duration)
            }
        }
        var properties: [JUnitProperty] = []
        for name in order {
            let values = (samples[name] ?? []).sorted()
            guard let median = values.dropFirst(values.count / 2).first, let maximum = values.last else { continue }
            properties.append(JUnitProperty("roundtrip.\(name).ms", Self.milliseconds(median)))
            if values.count > 1 {
                properties.append(JUnitProperty("roundtrip.\(name).max.ms", Self.milliseconds(maximum)))
                properties.append(JUnitProperty("roundtrip.\(name).count", String(values.count)))
            }
        }
        return properties
    }

    /// For each top-level `send` step: send -> the device receives PUBLISH -> the LED is written.
    private func cloudToDeviceBreakdown() -> [JUnitProperty] {
        var properties: [JUnitProperty] = []
        for result in steps {
            guard case .send = result.step.kind, let device = result.step.device else { continue }
            guard let start = entries.firstIndex(where: { $0.event == .step(result.step.number, iteration: nil) }) else {
                continue
            }
            let sendTime = entries[start].time
            let rest = entries[(start + 1)...]
            let label = "c2d.step-" + result.step.number.padded
            guard let publish = rest.first(where: { if case .device(device, .messageReceived) = $0.event { true } else { false } }) else {
                continue
            }
            properties.append(JUnitProperty("\(label).send-to-publish.ms", Self.milliseconds(.nanoseconds(Int64(publish.time &- sendTime)))))
            if let led = rest.first(where: { entry in
                if case .device(device, .led) = entry.event { return entry.time >= publish.time }
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
