import Devices
import Foundation
import IoTHubCore
import MQTTCore
import NIOCore

/// The record's entries as readable text: one line per event, for traces, failure messages and
/// live output.
public enum RecordText {
    /// One line for an event (`nil` for device events the packet lines already show).
    public static func line(for event: RunEvent) -> String? {
        switch event {
        case .device(let id, let deviceEvent): deviceLine(deviceEvent).map { "\(id): \($0)" }
        case .cloud(let cloud): cloudLine(cloud)
        case .packet(let observation): packetLine(observation)
        case .step(let number, _): "step \(number)"
        case .fault(let fault): fault.line
        }
    }

    /// `device -> hub  PUBLISH     40 B  qos=1 ...`.
    public static func packetLine(_ observation: PacketObservation) -> String {
        let record = observation.record
        let arrow = observation.flow == .toHub ? "device -> hub" : "hub -> device"
        let type = record.packet.type.name.padding(toLength: 11, withPad: " ", startingAt: 0)
        let size = String(record.size).leftPadded(to: 6)
        let summary = record.packet.summary
        return "\(arrow)  \(type)\(size) B\(summary.isEmpty ? "" : "  \(summary)")"
    }

    public static func deviceLine(_ event: DeviceEvent) -> String? {
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

    public static func cloudLine(_ event: CloudEvent) -> String {
        switch event {
        case .connected(let id, _, let clean, let present, let keepAlive):
            "hub: \(id) connected (clean_session=\(clean ? 1 : 0), session_present=\(present ? 1 : 0), keepalive=\(keepAlive))"
        case .refused(let clientID, _, let code, let reason):
            "hub: refused '\(clientID)' with CONNACK \(code): \(reason)"
        case .disconnected(let id, _, _, let detail):
            "hub: \(id.map { "\($0)" } ?? "connection") disconnected: \(detail)"
        case .subscribed(let id, let filter, let qos):
            "hub: \(id) subscribed to \(filter), granted QoS \(qos)"
        case .unsubscribed(let id, let filter):
            "hub: \(id) unsubscribed from \(filter)"
        case .messageQueued(let id, let messageID, let depth):
            "hub: C2D \(messageID) queued for \(id) (queue depth \(depth))"
        case .messageAccepted(let id, let messageID):
            "broker: C2D \(messageID) for \(id) acknowledged (PUBACK)"
        case .messageDelivered(let id, let messageID, let qos, let duplicate):
            "hub: C2D \(messageID) delivered to \(id) at QoS \(qos)\(duplicate ? " (redelivery)" : "")"
        case .messageCompleted(let id, let messageID):
            "hub: C2D \(messageID) completed by \(id)"
        case .messageDeadLettered(let id, let messageID, let reason):
            "hub: C2D \(messageID) for \(id) dead-lettered: \(reason)"
        case .messageRefused(let id, let reason):
            "hub: C2D for \(id) rejected: \(reason)"
        case .telemetry(let id, let properties, let payload):
            "hub: telemetry from \(id)\(properties.isEmpty ? "" : " [\(properties.encoded)]") \(MQTTPacket.describePayload(payload))"
        case .clockAdvanced(let duration):
            "hub: clock advanced by \(ScenarioDuration.format(duration))"
        case .activity(_, _, let text):
            "hub: \(text)"
        case .provisioning(let activity):
            "hub: DPS: \(activity.text)"
        }
    }

    /// `+   12.345 ms`.
    public static func formatOffset(_ nanoseconds: UInt64) -> String {
        let text = String(format: "%.3f", Double(nanoseconds) / 1e6)
        return "+" + text.leftPadded(to: 10) + " ms"
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
