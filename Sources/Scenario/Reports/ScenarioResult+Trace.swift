import Devices
import Foundation
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import Reporting

extension ScenarioResult {
    /// The timeline as `trace.jsonl` records: every packet (at each vantage) and event.
    public func makeTraceRecords() -> [TraceRecord] {
        let connections = timeline.hubConnectionDevices()
        return timeline.map { entry in
            let time = Double(entry.time &- startTime) / 1e9
            switch entry.observation {
            case .packet(let record, let vantage, let device):
                let owner = vantage == .device ? device : connections[record.connection]
                return TraceRecord(
                    time: time,
                    kind: "packet",
                    device: owner?.string,
                    direction: SubjectMatcher.flow(record, vantage: vantage).rawValue,
                    vantage: vantage == .device ? "device" : "hub",
                    type: record.packet.type.name,
                    size: record.size,
                    fields: Self.fields(of: record.packet),
                    text: TraceFormatter.packetLine(record, vantage: vantage)
                )
            case .hub(let event):
                return TraceRecord(time: time, kind: "hub", device: Self.device(of: event)?.string, type: Self.name(of: event), text: TraceFormatter.hubLine(event) ?? "")
            case .device(let id, let event):
                return TraceRecord(time: time, kind: "device", device: id.string, type: Self.name(of: event), text: TraceFormatter.deviceLine(event) ?? Self.name(of: event))
            case .stepStarted(let number, let iteration):
                var fields = ["step": number.description]
                if let iteration { fields["iteration"] = String(iteration) }
                return TraceRecord(time: time, kind: "step", fields: fields, text: "step \(number)")
            }
        }
    }

    /// A line for `--verbose` output, or `nil` for observations not worth printing live.
    public static func liveLine(_ entry: TimelineEntry, since start: UInt64) -> String? {
        let text: String?
        switch entry.observation {
        case .stepStarted: text = nil
        case .packet(let record, let vantage, let device):
            text = (device.map { "[\($0)] " } ?? "[hub] ") + TraceFormatter.packetLine(record, vantage: vantage)
        default: text = TraceFormatter.line(for: entry.observation)
        }
        return text.map { "\(TraceFormatter.formatOffset(entry.time &- start))  \($0)" }
    }

    /// `led_latency p50 0.120ms p95 ... (n=200)`, one line per metric.
    public static func describe(_ repetition: RepeatOutcome) -> String {
        var lines = ["\(repetition.iterationsRun) of \(repetition.iterationsPlanned) iterations"]
        for metric in repetition.samples.keys.sorted() {
            let stats = [LatencyThreshold.Statistic.p50, .p95, .p99, .max].compactMap { statistic in
                repetition.statistic(statistic, of: metric).map { "\(statistic.rawValue) \(ExpectationEvaluator.formatMilliseconds($0))" }
            }
            lines.append("\(metric): \(stats.joined(separator: " ")) (n=\(repetition.samples[metric]?.count ?? 0))")
        }
        for check in repetition.checks {
            lines.append("\(check.isMet ? "met" : "NOT met"): \(check.threshold)")
        }
        return lines.joined(separator: "\n")
    }

    static func fields(of packet: MQTTPacket) -> [String: String] {
        var fields: [String: String] = [:]
        if let id = packet.packetID { fields["id"] = String(id) }
        switch packet {
        case .connect(let connect):
            fields["client_id"] = connect.clientID
            fields["clean_session"] = connect.cleanSession ? "1" : "0"
            fields["keepalive"] = String(connect.keepAlive)
            if let username = connect.username { fields["username"] = username }
        case .connack(let connack):
            fields["return_code"] = String(connack.returnCode.rawValue)
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
            fields["granted"] = suback.returnCodes.map(\.description).joined(separator: ",")
        case .unsubscribe(let unsubscribe):
            fields["filters"] = unsubscribe.filters.map(\.string).joined(separator: ",")
        default:
            break
        }
        return fields
    }

    static func device(of event: HubEvent) -> DeviceID? {
        switch event {
        case .connected(let id, _, _, _, _), .subscribed(let id, _, _), .unsubscribed(let id, _), .cloudToDeviceEnqueued(let id, _, _),
            .cloudToDeviceDelivered(let id, _, _, _), .cloudToDeviceCompleted(let id, _), .cloudToDeviceDeadLettered(let id, _, _),
            .cloudToDeviceRejected(let id, _), .telemetry(let id, _, _):
            id
        case .disconnected(let id, _, _): id
        case .connectionRefused(let clientID, _, _, _): try? DeviceID(clientID)
        case .twin(let event): event.deviceID
        case .directMethod(let event): event.deviceID
        case .clockAdvanced: nil
        }
    }

    static func name(of event: HubEvent) -> String {
        switch event {
        case .connected: "connected"
        case .connectionRefused: "connection_refused"
        case .disconnected: "disconnected"
        case .subscribed: "subscribed"
        case .unsubscribed: "unsubscribed"
        case .cloudToDeviceEnqueued: "c2d_enqueued"
        case .cloudToDeviceDelivered: "c2d_delivered"
        case .cloudToDeviceCompleted: "c2d_completed"
        case .cloudToDeviceDeadLettered: "c2d_dead_lettered"
        case .cloudToDeviceRejected: "c2d_rejected"
        case .telemetry: "telemetry"
        case .clockAdvanced: "clock_advanced"
        case .twin: "twin"
        case .directMethod: "direct_method"
        }
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
