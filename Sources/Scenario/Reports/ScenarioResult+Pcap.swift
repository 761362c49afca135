import Foundation
import IoTHubCore
import MQTTCore
import NIOCore
import Reporting

extension ScenarioResult {
    /// The MQTT traffic as pcap segments: one TCP stream per connection as the trace shows it
    /// (device codec where the device has one, else the hub's), each packet's bytes as they
    /// crossed the wire, so an analyser decodes an MQTT 5.0 connection as 5.0 from its CONNECT.
    ///
    /// Secrets are overwritten in place, keeping every length: what the packet itself marks
    /// secret (CONNECT passwords, authentication data, user properties whose name looks
    /// secret; ``MQTTCore/MQTTPacket/maskingSecrets(in:)``) and the run's known secrets
    /// (`redactor`).
    public func makePcapSegments(redactor: SecretRedactor) -> [PcapSegment] {
        var streams: [String: Int] = [:]
        /// The version each stream's CONNECT named, for packets recorded without their bytes.
        var versions: [Int: MQTTProtocolVersion] = [:]
        var segments: [PcapSegment] = []
        for entry in entries {
            guard case .packet(let observation) = entry.event else { continue }
            let record = observation.record
            let key = "\(observation.vantage.rawValue)|\(observation.device?.string ?? "")|\(record.connection)"
            let stream = streams[key] ?? streams.count
            streams[key] = stream
            if let version = MQTTProtocolVersion(adoptedFrom: record.packet) { versions[stream] = version }
            var bytes = Array(record.bytes.readableBytesView)
            if bytes.isEmpty, let encoded = try? record.packet.encoded(version: versions[stream] ?? .v311) {
                bytes = Array(encoded.readableBytesView)
            }
            segments.append(
                PcapSegment(
                    timestamp: startDate.addingTimeInterval(Double(entry.time &- startTime) / 1e9),
                    stream: stream,
                    fromClient: observation.flow == .toHub,
                    payload: redactor.redact(bytes: record.packet.maskingSecrets(in: bytes))
                )
            )
        }
        return segments
    }
}
