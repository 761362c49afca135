import Foundation
import IoTHubCore
import MQTTCore
import NIOCore
import Reporting

extension ScenarioResult {
    /// The MQTT traffic as pcap segments: one TCP stream per connection as the trace shows it
    /// (device codec where the device has one, else the hub's), secrets and CONNECT passwords
    /// overwritten in place.
    public func makePcapSegments(redactor: SecretRedactor) -> [PcapSegment] {
        var streams: [String: Int] = [:]
        var segments: [PcapSegment] = []
        for entry in entries {
            guard case .packet(let observation) = entry.event else { continue }
            let record = observation.record
            let key = "\(observation.vantage.rawValue)|\(observation.device?.string ?? "")|\(record.connection)"
            let stream = streams[key] ?? streams.count
            streams[key] = stream
            var bytes = Array(record.bytes.readableBytesView)
            if bytes.isEmpty, let encoded = try? record.packet.encoded() { bytes = Array(encoded.readableBytesView) }
            // A CONNECT's password is its last field: masked whatever it is, since firmware the
            // harness does not own may present one the harness never learnt.
            if case .connect(let connect) = record.packet, let password = connect.password, password.readableBytes > 0,
                password.readableBytes <= bytes.count
            {
                bytes.replaceSubrange((bytes.count - password.readableBytes)..., with: repeatElement(UInt8(ascii: "*"), count: password.readableBytes))
            }
            segments.append(
                PcapSegment(
                    timestamp: startDate.addingTimeInterval(Double(entry.time &- startTime) / 1e9),
                    stream: stream,
                    fromClient: observation.flow == .toHub,
                    payload: redactor.redact(bytes: bytes)
                )
            )
        }
        return segments
    }
}
