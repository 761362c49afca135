import MQTTCore
import NIOCore

/// MQTT 5.0 properties an expectation asks for (`properties:` in `connack`, `disconnect`,
/// `publish` or a `packet` matcher): a subset match. Each named property must be present with
/// that value (for a property a packet may carry several times, such as a PUBLISH's
/// Subscription Identifiers, one of them must have it), and every listed User Property pair
/// must be present; the packet may carry others too.
public struct PropertyMatch: Sendable, Hashable, CustomStringConvertible {
    /// The properties asked for, in the order the scenario lists them.
    public var properties: [MQTTProperty]

    public init(_ properties: [MQTTProperty]) {
        self.properties = properties
    }

    /// Whether nothing is asked for.
    public var isEmpty: Bool { properties.isEmpty }

    /// The properties asked for that `actual` lacks, each as the scenario names it with what
    /// the packet had instead (`user k=v (the packet has user k=w)`); empty when all are
    /// present. Peer text is escaped and cut.
    public func misses(in actual: MQTTProperties) -> [String] {
        let present = Array(actual)
        return properties.compactMap { wanted -> String? in
            if present.contains(wanted) { return nil }
            let sameKind = present.filter { $0.identifier == wanted.identifier }
            let had: String
            if sameKind.isEmpty {
                had = "absent"
            } else {
                had = "the packet has " + sameKind.prefix(5).map(Self.describe).joined(separator: ", ")
            }
            return "\(Self.describe(wanted)) (\(had))"
        }
    }

    /// `receive_maximum=10`, `user k=v`, `correlation_data=hex 01 02`; peer text escaped.
    static func describe(_ property: MQTTProperty) -> String {
        switch property.value {
        case .stringPair(let name, let value):
            return "user \(shown(name))=\(MQTTProperties.looksSecret(name) ? "(\(value.utf8.count) bytes)" : shown(value))"
        case .string(let text):
            return "\(property.identifier.name)=\(shown(text))"
        case .binary(let bytes):
            if property.identifier == .authenticationData { return "\(property.identifier.name)=(\(bytes.readableBytes) bytes)" }
            return "\(property.identifier.name)=hex \(HexBytes(Array(bytes.readableBytesView)))"
        default:
            return "\(property.identifier.name)=\(property.value)"
        }
    }

    /// Peer text quoted with its control and non-ASCII characters escaped, cut at 80.
    static func shown(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars.prefix(80) {
            if scalar.value >= 0x20, scalar.value < 0x7F, scalar != "\"", scalar != "\\" {
                result.unicodeScalars.append(scalar)
            } else {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            }
        }
        if text.unicodeScalars.count > 80 { result += "..." }
        return "\"\(result)\""
    }

    public var description: String { properties.map(Self.describe).joined(separator: " ") }
}
