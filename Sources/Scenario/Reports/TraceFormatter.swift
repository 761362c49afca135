import Devices
import Foundation
import IoTHubCore
import IoTHubSimulation
import MQTTCore

/// Renders a run's timeline as readable lines: time offset from the start of the run, who,
/// what, size and key fields.
enum TraceFormatter {
    /// The vantage point whose packets the trace and round trips use: the device's own codec
    /// when it has one, else the hub's.
    static func preferredVantage(_ timeline: [TimelineEntry]) -> Vantage {
        timeline.contains { if case .packet(_, .device) = $0.observation { true } else { false } } ? .device : .hub
    }

    /// Packet records at `vantage`, in order.
    static func packets(_ timeline: [TimelineEntry], vantage: Vantage) -> [PacketRecord] {
        timeline.compactMap { entry in
            if case .packet(let record, let at) = entry.observation, at == vantage { return record }
            return nil
        }
    }

    static func render(_ result: ScenarioResult) -> String {
        let timeline = result.timeline
        let vantage = preferredVantage(timeline)
        var lines = [
            "scenario \(result.scenario.name) (\(result.scenario.path)); hub \(result.scenario.hub); device \(result.scenario.device.id) (\(result.scenario.device.kind.rawValue), \(result.scenario.device.profile))",
            "times from the start of the run; packets as seen by the \(vantage == .device ? "device" : "hub")",
        ]
        let titles = Dictionary(uniqueKeysWithValues: result.scenario.steps.map { ($0.number, $0.title) })
        for entry in timeline {
            let offset = formatOffset(entry.time &- result.startTime)
            let text: String?
            switch entry.observation {
            case .stepStarted(let number):
                text = "step \(number): \(titles[number] ?? "")"
            case .packet(let record, let at):
                guard at == vantage else { continue }
                text = packetLine(record, vantage: vantage)
            case .device(let event):
                text = deviceLine(event)
            case .hub(let event):
                text = hubLine(event)
            }
            if let text { lines.append("\(offset)  \(text)") }
        }
        if let error = result.setupError { lines.append("setup error: \(error)") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func packetLine(_ record: PacketRecord, vantage: Vantage) -> String {
        let fromDevice = (vantage == .device) == (record.direction == .outbound)
        let arrow = fromDevice ? "device -> hub" : "hub -> device"
        let type = record.packet.type.name.padding(toLength: 11, withPad: " ", startingAt: 0)
        let size = String(record.size).leftPadded(to: 6)
        let summary = record.packet.summary
        return "\(arrow)  \(type)\(size) B\(summary.isEmpty ? "" : "  \(summary)")"
    }

    static func deviceLine(_ event: DeviceEvent) -> String? {
        switch event {
        case .connecting(let host, let port): "device: connecting to \(host):\(port)"
        case .transportConnected: "device: TCP connected"
        case .transportFailed(let reason): "device: could not connect: \(reason)"
        case .connAckReceived, .subAckReceived, .messageReceived: nil
        case .pinWritten(let pin, let value): "device: pin \(pin) = \(value ? 1 : 0)"
        case .led(let isOn, let changed): "device: LED \(isOn ? "on" : "off")\(changed ? "" : " (unchanged)")"
        case .disconnected(let reason): "device: disconnected (\(reason))"
        case .crashed(let reason): "device: program stopped: \(reason)"
        }
    }

    static func hubLine(_ event: HubEvent) -> String? {
        switch event {
        case .connected(let id, _, let clean, let present, let keepAlive):
            "hub: \(id) connected (clean_session=\(clean ? 1 : 0), session_present=\(present ? 1 : 0), keepalive=\(keepAlive))"
        case .connectionRefused(let clientID, _, let code, let reason):
            "hub: refused '\(clientID)' with CONNACK \(code): \(reason)"
        case .disconnected(let id, _, let reason):
            "hub: \(id.map { "\($0)" } ?? "connection") disconnected: \(reason)"
        case .subscribed(let id, let filter, let qos):
            "hub: \(id) subscribed to \(filter), granted QoS \(qos)"
        case .unsubscribed(let id, let filter):
            "hub: \(id) unsubscribed from \(filter)"
        case .cloudToDeviceEnqueued(let id, let messageID, let depth):
            "hub: C2D \(messageID) queued for \(id) (queue depth \(depth))"
        case .cloudToDeviceDelivered(let id, let messageID, let qos, let duplicate):
            "hub: C2D \(messageID) delivered to \(id) at QoS \(qos)\(duplicate ? " (redelivery)" : "")"
        case .cloudToDeviceCompleted(let id, let messageID):
            "hub: C2D \(messageID) completed by \(id)"
        case .cloudToDeviceDeadLettered(let id, let messageID, let reason):
            "hub: C2D \(messageID) for \(id) dead-lettered: \(reason)"
        case .cloudToDeviceRejected(let id, let reason):
            "hub: C2D for \(id) rejected: \(reason)"
        case .telemetry(let id, let properties, let payload):
            "hub: telemetry from \(id)\(properties.isEmpty ? "" : " [\(properties.encoded)]") \(MQTTPacket.describePayload(payload))"
        case .clockAdvanced(let duration):
            "hub: clock advanced by \(duration)"
        case .twin(let event): "hub: twin: \(event)"
        case .directMethod(let event): "hub: \(event)"
        }
    }

    /// `+   12.345 ms`.
    static func formatOffset(_ nanoseconds: UInt64) -> String {
        let text = String(format: "%.3f", Double(nanoseconds) / 1e6)
        return "+" + text.leftPadded(to: 10) + " ms"
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
