import Devices
import Foundation
import IoTHubCore
import IoTHubSimulation
import IoTHubSimulationCore
import MQTTCore
import NIOCore
import Reporting

/// Renders a run's timeline as readable lines: time offset from the start of the run, who,
/// what, size and key fields.
enum TraceFormatter {
    /// Trace lines kept in JUnit's system-out; the full trace is in trace.jsonl.
    static let systemOutLimit = 5000

    /// Devices whose packets the trace shows from their own codec; others from the hub's.
    static func selfObservingDevices(_ timeline: [TimelineEntry]) -> Set<DeviceID> {
        Set(timeline.compactMap { entry in
            if case .packet(_, .device, let device) = entry.observation { return device }
            return nil
        })
    }

    /// Whether a packet entry is the one the trace shows (device vantage when the device has
    /// a codec, else the hub's).
    static func isShown(_ observation: Observation, selfObserving: Set<DeviceID>, hubConnections: [UInt64: DeviceID]) -> Bool {
        guard case .packet(let record, let vantage, _) = observation else { return true }
        switch vantage {
        case .device: return true
        case .hub: return hubConnections[record.connection].map { !selfObserving.contains($0) } ?? selfObserving.isEmpty
        }
    }

    /// Packet records as shown in the trace, with the device each belongs to.
    static func shownPackets(_ timeline: [TimelineEntry]) -> [(record: PacketRecord, vantage: Vantage, device: DeviceID?)] {
        let selfObserving = selfObservingDevices(timeline)
        let connections = timeline.hubConnectionDevices()
        return timeline.compactMap { entry in
            guard case .packet(let record, let vantage, let device) = entry.observation,
                isShown(entry.observation, selfObserving: selfObserving, hubConnections: connections)
            else { return nil }
            return (record, vantage, vantage == .device ? device : connections[record.connection])
        }
    }

    static func render(_ result: ScenarioResult) -> String {
        let timeline = result.timeline
        let devices = result.target.devices.map { "\($0.id) (\($0.kind.rawValue), \($0.profile))" }.joined(separator: ", ")
        var lines = [
            "scenario \(result.scenario.name) (\(result.scenario.path)); target \(result.target.name); hub \(result.target.hub); devices \(devices)",
            "times from the start of the run; packets as seen by each device's own codec where it has one, else by the hub",
        ]
        let selfObserving = selfObservingDevices(timeline)
        let connections = timeline.hubConnectionDevices()
        let multiDevice = result.target.devices.count > 1
        var titles: [StepNumber: String] = [:]
        func collect(_ steps: [Step]) {
            for step in steps {
                titles[step.number] = step.title
                if case .repeatBlock(let block) = step.kind { collect(block.steps) }
            }
        }
        collect(result.scenario.steps)
        var omitted = 0
        for entry in timeline {
            guard isShown(entry.observation, selfObserving: selfObserving, hubConnections: connections) else { continue }
            var text: String?
            switch entry.observation {
            case .stepStarted(let number, let iteration):
                text = "step \(number)\(iteration.map { " (iteration \($0))" } ?? ""): \(titles[number] ?? "")"
            case .packet(let record, let vantage, let device):
                let owner = vantage == .device ? device : connections[record.connection]
                text = (multiDevice ? "[\(owner?.string ?? "?")] " : "") + packetLine(record, vantage: vantage)
            default:
                text = line(for: entry.observation)
            }
            guard let text else { continue }
            if lines.count >= systemOutLimit {
                omitted += 1
                continue
            }
            lines.append("\(formatOffset(entry.time &- result.startTime))  \(ControlCharacterEscaping.escape(text))")
        }
        if omitted > 0 { lines.append("... \(omitted) more lines in trace.jsonl") }
        if let error = result.setupError { lines.append("setup error: \(ControlCharacterEscaping.escape(error))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One line for a hub or device event (`nil` for those the packet lines already show).
    static func line(for observation: Observation) -> String? {
        switch observation {
        case .device(let id, let event): deviceLine(event).map { "\(id): \($0)" }
        case .hub(let event): hubLine(event)
        case .packet(let record, let vantage, _): packetLine(record, vantage: vantage)
        case .stepStarted(let number, _): "step \(number)"
        }
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
        case .connecting(let host, let port): "connecting to \(host):\(port)"
        case .transportConnected: "TCP connected"
        case .transportFailed(let reason): "could not connect: \(reason)"
        case .connAckReceived, .subAckReceived, .messageReceived: nil
        case .pinWritten(let pin, let value): "pin \(pin) = \(value ? 1 : 0)"
        case .led(let isOn, let changed): "LED \(isOn ? "on" : "off")\(changed ? "" : " (unchanged)")"
        case .disconnected(let reason): "disconnected (\(reason))"
        case .crashed(let reason): "program stopped: \(reason)"
        case .restarted: "restarted"
        case .output(let line): "output: \(line)"
        case .reconnecting(let attempt): "reconnecting (attempt \(attempt))"
        case .renewingToken: "renewing its token (disconnect, connect)"
        case .tokenFailed(let reason): "no token: \(reason)"
        case .stateReported(let state): "state \(state)"
        case .bytesSent(let bytes): "raw bytes sent: \(HexBytes.format(bytes.readableBytesView.prefix(32)))\(bytes.readableBytes > 32 ? " ..." : "") (\(bytes.readableBytes) B)"
        case .bytesReceived: nil
        case .protocolViolation(let what): "protocol violation: \(what)"
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
            "hub: clock advanced by \(ScenarioDuration.format(duration))"
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
