import Devices
import Foundation
import IoTHubCore
import MQTTCore
import NIOCore
import Reporting

extension ScenarioResult {
    /// Rows the HTML sequence diagram keeps; the rest are in trace.jsonl.
    static let diagramLimit = 400

    /// The HTML report: steps, a sequence diagram of cloud, hub and devices, and histograms of
    /// the `repeat` blocks' latencies.
    public func makeHTMLReport() -> HTMLReport {
        let rows = steps.map { result -> HTMLReport.StepRow in
            let seconds = Double(result.duration.nanoseconds) / 1e9
            switch result.status {
            case .passed:
                let detail = result.repetition.map(Self.describe) ?? result.fleet.map(Self.describe)
                    ?? result.latency.map { "observed after \(ScenarioDuration.formatMilliseconds($0))" } ?? ""
                return HTMLReport.StepRow(name: caseName(result.step), status: .passed, seconds: seconds, detail: detail)
            case .failed(let failure):
                return HTMLReport.StepRow(name: caseName(result.step), status: .failed, seconds: seconds, detail: failure.description)
            case .errored(let message):
                return HTMLReport.StepRow(name: caseName(result.step), status: .errored, seconds: seconds, detail: message)
            case .skipped(let reason):
                return HTMLReport.StepRow(name: caseName(result.step), status: .skipped, seconds: 0, detail: reason)
            case .notApplicable(let reason):
                return HTMLReport.StepRow(name: caseName(result.step), status: .skipped, seconds: seconds, detail: "not applicable: \(reason)")
            }
        }
        var histograms: [Histogram] = []
        for result in steps {
            if let fleet = result.fleet, fleet.latencies.count > 1 {
                histograms.append(Histogram(title: "step \(result.step.number): latency over \(fleet.latencies.count) devices", milliseconds: Self.samples(of: fleet.latencies)))
            }
            guard let repetition = result.repetition else { continue }
            for metric in repetition.samples.keys.sorted() {
                let samples = (repetition.samples[metric] ?? []).map { Double($0.nanoseconds) / 1e6 }
                histograms.append(Histogram(title: "step \(result.step.number): \(metric)", milliseconds: samples))
            }
        }
        return HTMLReport(
            title: suiteName,
            subtitle: "\(scenario.path) · target \(target.name) · \(String(format: "%.3f", Double(duration.nanoseconds) / 1e6)) ms · \(startDate)",
            passed: isPassed,
            steps: rows,
            diagram: makeSequenceDiagram(),
            histograms: histograms
        )
    }

    /// A histogram's samples for drawing: each bucket's middle, as often as it was counted
    /// (at most 20,000 in all, in proportion).
    static func samples(of histogram: LatencyHistogram) -> [Double] {
        let scale = min(1, 20_000 / Double(max(histogram.count, 1)))
        return histogram.sortedBuckets.flatMap { bucket in
            Array(repeating: Double(bucket.lowest / 2 + bucket.highest / 2) / 1e6, count: max(1, Int((Double(bucket.count) * scale).rounded())))
        }
    }

    func makeSequenceDiagram() -> SequenceDiagram {
        let deviceIDs = target.devices.map(\.id)
        // One lane per fleet: its members' events share it.
        let lanes = ["cloud", "hub"] + deviceIDs.map(\.string) + target.fleets.map { "\($0.name) (\($0.members.count))" }
        let fleetLanes = Dictionary(uniqueKeysWithValues: target.fleets.enumerated().map { ($1.name, deviceIDs.count + 2 + $0) })
        let memberFleets = Dictionary(target.fleets.flatMap { fleet in fleet.members.map { (fleet.memberID($0), fleet.name) } }, uniquingKeysWith: { first, _ in first })
        func lane(_ device: DeviceID?) -> Int {
            guard let device else { return 2 }
            if let index = deviceIDs.firstIndex(of: device) { return index + 2 }
            return memberFleets[device].flatMap { fleetLanes[$0] } ?? 2
        }
        var events: [SequenceDiagram.Event] = []
        var eventTimes: [UInt64] = []
        var stepRows: [StepNumber: Int] = [:]
        var omitted = 0
        for entry in entries {
            let time = Double(entry.time &- startTime) / 1e9
            var event: SequenceDiagram.Event?
            switch entry.event {
            case .step(let number, let iteration):
                guard iteration == nil else { continue }
                let title = steps.first { $0.step.number == number }?.step.title ?? ""
                event = .init(time: time, from: 0, to: 0, label: "step \(number): \(title)", style: .step)
                stepRows[number] = events.count
            case .packet(let observation):
                let record = observation.record
                let owner = lane(observation.device)
                let toHub = observation.flow == .toHub
                var label = record.packet.type.name
                if case .publish(let publish) = record.packet {
                    label += " \(MQTTPacket.describePayload(publish.payload, limit: 24)) qos=\(publish.qos)"
                    if let id = publish.packetID { label += " id=\(id)" }
                    if publish.dup { label += " dup" }
                    label += " \(publish.topic)"
                    // MQTT 5.0 properties (secrets masked), as the trace shows them.
                    let extra = record.packet.version5Summary
                    if !extra.isEmpty { label += " " + extra }
                } else if !record.packet.summary.isEmpty {
                    label += " " + record.packet.summary
                }
                event = .init(time: time, from: toHub ? owner : 1, to: toHub ? 1 : owner, label: label, style: .packet)
            case .cloud(let cloudEvent):
                event = diagramEvent(cloudEvent, time: time, lane: lane)
            case .fault(let fault):
                // On the device's lane (the hub's for the hub or all devices), across the link.
                let owner = fault.device.map { lane($0) } ?? 1
                event = .init(time: time, from: owner, to: owner, label: "⚡ " + fault.line, style: .fault)
            case .device(let id, let deviceEvent):
                switch deviceEvent {
                case .led(let isOn, _): event = .init(time: time, from: lane(id), to: lane(id), label: "LED \(isOn ? "on" : "off")", style: .state)
                case .pinWritten(let pin, let value): event = .init(time: time, from: lane(id), to: lane(id), label: "pin \(pin) = \(value ? 1 : 0)", style: .state)
                case .crashed(let reason): event = .init(time: time, from: lane(id), to: lane(id), label: "stopped: \(reason)", style: .fault)
                case .restarted: event = .init(time: time, from: lane(id), to: lane(id), label: "restarted", style: .fault)
                case .output(let line): event = .init(time: time, from: lane(id), to: lane(id), label: "> \(line)", style: .state)
                default: event = nil
                }
            }
            guard let event else { continue }
            guard events.count < Self.diagramLimit else {
                omitted += 1
                continue
            }
            events.append(event)
            eventTimes.append(entry.time)
        }
        var spans: [SequenceDiagram.Span] = []
        for result in steps {
            guard let latency = result.latency, let cause = result.causeStep, let from = stepRows[cause],
                let causeTime = from < eventTimes.count ? eventTimes[from] : nil
            else { continue }
            let target = causeTime &+ UInt64(max(0, latency.nanoseconds))
            guard let to = eventTimes.firstIndex(where: { $0 >= target }) else { continue }
            spans.append(.init(fromEvent: from, toEvent: to, label: "\(ScenarioDuration.formatMilliseconds(latency)) (step \(result.step.number))"))
        }
        return SequenceDiagram(lanes: lanes, events: events, spans: spans, omittedEvents: omitted)
    }

    private func diagramEvent(_ event: CloudEvent, time: Double, lane: (DeviceID?) -> Int) -> SequenceDiagram.Event? {
        switch event {
        case .messageQueued(_, let messageID, let depth):
            return .init(time: time, from: 0, to: 1, label: "C2D \(messageID.prefix(8)) (queue \(depth))", style: .cloud)
        case .messageRefused(_, let reason):
            return .init(time: time, from: 1, to: 0, label: "C2D refused: \(reason)", style: .fault)
        case .messageDeadLettered(_, let messageID, let reason):
            return .init(time: time, from: 1, to: 1, label: "C2D \(messageID.prefix(8)) dead-lettered: \(reason)", style: .fault)
        case .telemetry(_, _, let payload):
            return .init(time: time, from: 1, to: 0, label: "telemetry \(MQTTPacket.describePayload(payload, limit: 32))", style: .cloud)
        case .clockAdvanced(let duration):
            return .init(time: time, from: 0, to: 1, label: "clock +\(ScenarioDuration.format(duration))", style: .cloud)
        case .refused(let clientID, _, let code, _):
            return .init(time: time, from: 1, to: 1, label: "refused \(clientID): CONNACK \(code.rawValue)", style: .fault)
        case .disconnected(let device, _, let kind, let detail):
            switch kind {
            case .clientDisconnect, .refused, nil: return nil
            default: return .init(time: time, from: 1, to: lane(device), label: "drop: \(detail)", style: .fault)
            }
        case .activity(_, _, let text):
            return .init(time: time, from: 0, to: 1, label: text, style: .cloud)
        case .provisioning(let activity):
            return .init(time: time, from: 0, to: 1, label: "DPS: \(activity.text)", style: activity.outcome.finalStatus == "assigned" || activity.outcome.finalStatus == nil ? .cloud : .fault)
        case .connected, .subscribed, .unsubscribed, .messageDelivered, .messageCompleted, .messageAccepted:
            return nil
        }
    }
}
