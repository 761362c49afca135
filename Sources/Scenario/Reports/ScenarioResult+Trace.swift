import Devices
import Foundation
import IoTHubCore
import MQTTCore
import Reporting

extension ScenarioResult {
    /// The record as `trace.jsonl` records: every packet (once, at its device's vantage) and
    /// event.
    public func makeTraceRecords() -> [TraceRecord] {
        entries.map { entry in
            let time = Double(entry.time &- startTime) / 1e9
            switch entry.event {
            case .packet(let observation):
                let record = observation.record
                return TraceRecord(
                    time: time,
                    kind: "packet",
                    device: observation.device?.string,
                    direction: observation.flow.rawValue,
                    vantage: observation.vantage.rawValue,
                    type: record.packet.type.name,
                    size: record.size,
                    fields: Self.fields(of: record.packet),
                    text: RecordText.packetLine(observation)
                )
            case .cloud(let event):
                return TraceRecord(time: time, kind: "hub", device: event.device?.string, type: event.name, text: RecordText.cloudLine(event))
            case .device(let id, let event):
                return TraceRecord(time: time, kind: "device", device: id.string, type: Self.name(of: event), text: RecordText.deviceLine(event) ?? Self.name(of: event))
            case .fault(let fault):
                var fields = ["fault": fault.kind, "target": fault.target]
                if !fault.detail.isEmpty { fields["detail"] = fault.detail }
                return TraceRecord(time: time, kind: "fault", device: fault.device?.string, type: fault.name, fields: fields, text: fault.line)
            case .step(let number, let iteration):
                var fields = ["step": number.description]
                if let iteration { fields["iteration"] = String(iteration) }
                return TraceRecord(time: time, kind: "step", fields: fields, text: "step \(number)")
            }
        }
    }

    /// A line for `--verbose` output, or `nil` for events not worth printing live.
    public static func liveLine(_ entry: RunRecord.Entry, since start: UInt64) -> String? {
        let text: String?
        switch entry.event {
        case .step: text = nil
        case .packet(let observation):
            text = (observation.device.map { "[\($0)] " } ?? "[hub] ") + RecordText.packetLine(observation)
        default: text = RecordText.line(for: entry.event)
        }
        // One line per entry: a peer's newline or escape must not start a line of its own.
        return text.map { "\(RecordText.formatOffset(entry.time &- start))  \(ControlCharacterEscaping.escape($0))" }
    }

    /// `seed 42: 12 iterations, 5 strikes: drop esp8266, blackhole esp8266 for 3s, ...`.
    public static func describe(_ chaos: ChaosOutcome) -> String {
        let strikes = chaos.strikes.prefix(10).joined(separator: ", ") + (chaos.strikes.count > 10 ? " and \(chaos.strikes.count - 10) more" : "")
        return "seed \(chaos.seed): \(chaos.iterations) iteration\(chaos.iterations == 1 ? "" : "s"), \(chaos.strikes.count) strike\(chaos.strikes.count == 1 ? "" : "s")" + (strikes.isEmpty ? "" : ": \(strikes)")
    }

    /// `1000 of 1000 devices: p50 1.2ms p90 ... max 9.8ms`.
    public static func describe(_ fleet: FleetStepOutcome) -> String {
        if let note = fleet.note { return note }
        var text = "\(fleet.passed) of \(fleet.selected) devices" + (fleet.required < fleet.selected ? " (\(fleet.required) needed)" : "")
        let percentiles: [(String, Double)] = [("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9)]
        let stats = percentiles.compactMap { name, value in
            fleet.latencies.value(atPercentile: value).map { "\(name) \(ScenarioDuration.formatMilliseconds(.nanoseconds(Int64(clamping: $0))))" }
        }
        if !stats.isEmpty {
            text += ": " + stats.joined(separator: " ") + " max \(ScenarioDuration.formatMilliseconds(.nanoseconds(Int64(clamping: fleet.latencies.maximum))))"
        }
        if fleet.missedCount > 0 { text += "\n" + fleet.describeMisses() }
        return text
    }

    /// `led_latency p50 0.120ms p95 ... (n=200)`, one line per metric.
    public static func describe(_ repetition: RepeatOutcome) -> String {
        var lines = ["\(repetition.iterationsRun) of \(repetition.iterationsPlanned) iterations"]
        for metric in repetition.samples.keys.sorted() {
            let stats = [LatencyThreshold.Statistic.p50, .p95, .p99, .max].compactMap { statistic in
                repetition.statistic(statistic, of: metric).map { "\(statistic.rawValue) \(ScenarioDuration.formatMilliseconds($0))" }
            }
            lines.append("\(metric): \(stats.joined(separator: " ")) (n=\(repetition.samples[metric]?.count ?? 0))")
        }
        for check in repetition.checks {
            lines.append("\(check.isMet ? "met" : "NOT met"): \(check.threshold)")
        }
        return lines.joined(separator: "\n")
    }

    /// A packet's key fields for `trace.jsonl`: those of MQTT 3.1.1, then MQTT 5.0's reason
    /// codes and properties (``MQTTCore/MQTTPacket/version5Fields``).
    static func fields(of packet: MQTTPacket) -> [String: String] {
        var fields: [String: String] = [:]
        if let id = packet.packetID { fields["id"] = String(id) }
        switch packet {
        case .connect(let connect):
            fields["client_id"] = connect.clientID
            fields["protocol_level"] = String(connect.protocolLevel)
            fields[connect.protocolLevel == 5 ? "clean_start" : "clean_session"] = connect.cleanSession ? "1" : "0"
            fields["keepalive"] = String(connect.keepAlive)
            if let username = connect.username { fields["username"] = username }
        case .connack(let connack):
            // An MQTT 5.0 refusal 3.1.1 has no code for has only its `reason`.
            if let code = ConnectReturnCode(exactly: connack.reasonCode) { fields["return_code"] = String(code.rawValue) }
            fields["session_present"] = connack.sessionPresent ? "1" : "0"
        case .publish(let publish):
            fields["topic"] = publish.topic.string
            fields["qos"] = String(publish.qos.rawValue)
            fields["dup"] = publish.dup ? "1" : "0"
            fields["retain"] = publish.retain ? "1" : "0"
            fields["payload"] = MQTTPacket.describePayload(publish.payload)
        case .subscribe(let subscribe):
            fields["filters"] = subscribe.subscriptions.map { "\($0.filter)@\($0.qos)" }.joined(separator: ",")
        case .suback(let suback):
            fields["granted"] = suback.codesSummary
        case .unsubscribe(let unsubscribe):
            fields["filters"] = unsubscribe.filters.map(\.string).joined(separator: ",")
        default:
            break
        }
        // MQTT 5.0: `reason`/`reasons` by number and name, `properties` (secrets masked), as
        // the text shows them.
        for field in packet.version5Fields { fields[field.name] = field.value }
        return fields
    }

    static func name(of event: DeviceEvent) -> String {
        switch event {
        case .connecting: "connecting"
        case .transportConnected: "transport_connected"
        case .transportFailed: "transport_failed"
        case .connAckReceived: "connack_received"
        case .subAckReceived: "suback_received"
        case .messageReceived: "message_received"
        case .pinWritten: "pin_written"
        case .led: "led"
        case .disconnected: "disconnected"
        case .crashed: "crashed"
        case .restarted: "restarted"
        case .output: "output"
        case .reconnecting: "reconnecting"
        case .renewingToken: "renewing_token"
        case .tokenFailed: "token_failed"
        case .stateReported: "state_reported"
        case .bytesSent: "bytes_sent"
        case .bytesReceived: "bytes_received"
        case .protocolViolation: "protocol_violation"
        }
    }
}
