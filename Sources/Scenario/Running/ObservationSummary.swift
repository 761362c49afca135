import Devices
import IoTHubCore
import MQTTCore

/// What was observed in an expectation's window, said in a few words for a failure message.
struct ObservationSummary {
    let entries: [RunRecord.Entry]
    let matcher: SubjectMatcher
    let cause: Cause
    let windowEnd: UInt64

    var window: ArraySlice<RunRecord.Entry> {
        entries.dropFirst(cause.index).prefix { $0.time <= windowEnd }
    }

    func offset(_ entry: RunRecord.Entry) -> String {
        "+" + ScenarioDuration.formatMilliseconds(.nanoseconds(Int64(entry.time &- cause.time)))
    }

    func describe() -> String {
        let device = matcher.device
        var parts: [String] = []
        switch matcher.subject {
        case .connack:
            let seen = window.compactMap { entry -> String? in
                switch entry.event {
                case .device(device, .connAckReceived(let connack)): "CONNACK \(connack.returnCode) at \(offset(entry))"
                case .cloud(.refused(let clientID, _, let code, let reason)) where clientID == device?.string:
                    "the hub refused with CONNACK \(code) at \(offset(entry)): \(reason)"
                default: nil
                }
            }
            parts.append(seen.isEmpty ? "no CONNACK" : seen.joined(separator: "; "))
        case .led, .pin:
            let isLED = { if case .led = matcher.subject { true } else { false } }()
            let writes = window.compactMap { entry -> String? in
                switch entry.event {
                case .device(device, .led(let isOn, _)) where isLED: "\(isOn ? "on" : "off") at \(offset(entry))"
                case .device(device, .pinWritten(let pin, let value)) where !isLED: "pin \(pin) = \(value ? 1 : 0) at \(offset(entry))"
                default: nil
                }
            }
            let name = isLED ? "LED" : "pin"
            if writes.isEmpty {
                let state = device.flatMap { Self.state(of: matcher.subject, device: $0, in: Array(entries.prefix(cause.index))) } ?? "unknown"
                parts.append("\(name) stayed \(state)")
            } else {
                parts.append("\(name) written " + writes.joined(separator: ", "))
            }
            let messages = window.filter { if case .device(device, .messageReceived) = $0.event { true } else { false } }.count
            parts.append("\(messages) message\(messages == 1 ? "" : "s") reached the device")
        case .packet(let expected):
            let seen = window.compactMap { entry -> String? in
                guard case .packet(let observation) = entry.event,
                    observation.record.packet.type == expected.type,
                    expected.flow.map({ $0 == observation.flow }) ?? true,
                    observation.device == device
                else { return nil }
                let packet = observation.record.packet
                // What kept it from matching, in MQTT 5.0 terms (its reason, its properties).
                let problems = SubjectMatcher.mqtt5Problems(expected, packet)
                let why = problems.isEmpty ? "" : " (" + problems.joined(separator: "; ") + ")"
                return "\(packet.type) \(observation.flow.rawValue) \(packet.summary) at \(offset(entry))\(why)"
            }
            parts.append(seen.isEmpty ? "no \(expected.type) for this device" : "other \(expected.type)s: " + seen.prefix(5).joined(separator: "; "))
        case .telemetry:
            let seen = window.compactMap { entry -> String? in
                guard case .cloud(.telemetry(device, let properties, let payload)) = entry.event else { return nil }
                return "\(MQTTPacket.describePayload(payload))\(properties.isEmpty ? "" : " [\(properties.encoded)]") at \(offset(entry))"
            }
            parts.append(seen.isEmpty ? "no telemetry from the device" : "telemetry " + seen.prefix(5).joined(separator: "; "))
        case .disconnected:
            let seen = window.compactMap { entry -> String? in
                guard case .cloud(.disconnected(device, _, _, let detail)) = entry.event else { return nil }
                return "disconnected (\(detail)) at \(offset(entry))"
            }
            let open = ScenarioDuration.formatMilliseconds(.nanoseconds(Int64(windowEnd &- cause.time)))
            parts.append(seen.isEmpty ? "the connection was still open \(open) after \(cause.name)" : seen.joined(separator: "; "))
        case .reconnected:
            parts.append("no new connection from the device")
        case .queued:
            parts.append("the queue depth did not get there")
        case .bytes:
            parts.append("the bytes did not arrive")
        case .oneOf:
            parts.append("none of the branches was observed")
        case .delivered:
            parts.append("not every message arrived")
        case .provisioned:
            let seen = window.compactMap { entry -> String? in
                guard case .cloud(.provisioning(let activity)) = entry.event, activity.device == device else { return nil }
                return activity.text
            }
            parts.append(seen.isEmpty ? "no DPS activity for the device" : "DPS: " + seen.suffix(3).joined(separator: "; "))
        case .output:
            let lines = window.compactMap { entry -> String? in
                if case .device(device, .output(let line)) = entry.event { return line }
                return nil
            }
            parts.append(lines.isEmpty ? "no output" : "last output: " + lines.suffix(3).map { "\"\($0)\"" }.joined(separator: ", "))
        }
        // What the peer did wrong, as the device saw it (a reserved return code, a PUBACK for a
        // QoS 2 PUBLISH), so a failure names the cause rather than its consequence.
        for entry in window {
            if case .device(device, .protocolViolation(let what)) = entry.event {
                parts.append("at \(offset(entry)) \(what)")
            }
        }
        if let stop = window.first(where: { if case .device(device, .crashed) = $0.event { true } else { false } }),
            case .device(_, .crashed(let reason)) = stop.event
        {
            parts.append("the device stopped at \(offset(stop)): \(reason)")
        }
        return parts.joined(separator: "; ")
    }

    /// The state a state subject has after `entries`: `on`/`off`, `0`/`1`, or a depth.
    static func state(of subject: Expectation.Subject, device: DeviceID, in entries: [RunRecord.Entry]) -> String? {
        switch subject {
        case .led:
            var isOn = false
            for entry in entries {
                if case .device(device, .led(let state, _)) = entry.event { isOn = state }
            }
            return isOn ? "on" : "off"
        case .pin(let number, _):
            var value = false
            for entry in entries {
                if case .device(device, .pinWritten(number, let written)) = entry.event { value = written }
            }
            return value ? "1" : "0"
        case .queued:
            return String(QueueDepth(device: device, entries: entries).value)
        default:
            return nil
        }
    }
}
