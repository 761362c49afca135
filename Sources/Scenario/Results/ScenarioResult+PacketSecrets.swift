import MQTTCore
import NIOCore

extension ScenarioResult {
    /// The secret values the run's packets carried: the value of every User Property whose
    /// name looks secret (``MQTTCore/MQTTProperties/looksSecret(_:)``) and authentication
    /// data that is text, from any packet and a CONNECT's will.
    ///
    /// The packet summaries already show these as lengths and the pcap overwrites them;
    /// registered with the run's other secrets, they are masked wherever else they appear too
    /// (a payload that echoes a token, an expectation's message). Values shorter than
    /// ``minimumPacketSecretLength`` are left out: a property named like a secret may carry
    /// `true` or `none`, and masking those everywhere would garble the reports.
    public var packetSecrets: [String] {
        var found: [String] = []
        for observation in packets {
            var properties = Array(observation.record.packet.properties)
            if case .connect(let connect) = observation.record.packet, let will = connect.will { properties += Array(will.properties) }
            for property in properties {
                let value: String
                switch property {
                case .userProperty(let name, let text) where MQTTProperties.looksSecret(name):
                    value = text
                case .authenticationData(let data):
                    guard let text = String(validating: data.readableBytesView, as: UTF8.self) else { continue }
                    value = text
                default:
                    continue
                }
                if value.count >= Self.minimumPacketSecretLength, !found.contains(value) { found.append(value) }
            }
        }
        return found
    }

    /// The shortest value ``packetSecrets`` takes: 8 characters (a token, key or signature is
    /// longer; a flag is not).
    public static let minimumPacketSecretLength = 8
}
