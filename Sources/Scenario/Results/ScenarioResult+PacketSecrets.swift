import MQTTCore
import NIOCore

extension ScenarioResult {
    /// The secret values the run's packets carried: the value of every User Property whose
    /// name looks secret (``MQTTCore/MQTTProperties/looksSecret(_:)``) and authentication
    /// data that is text, from any packet and a CONNECT's will.
    ///
    /// The packet summaries already show these as lengths; registered with the run's other
    /// secrets, they are masked wherever else they appear too (a payload that echoes a token,
    /// an expectation's message).
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
                if !value.isEmpty, !found.contains(value) { found.append(value) }
            }
        }
        return found
    }
}
