import NIOCore

extension MQTTPacket {
    /// The packet's wire bytes with the secrets ``summary`` hides overwritten by `*`, byte for
    /// byte, so every length and the framing stay as they were (a pcap of them still decodes):
    /// a CONNECT's password, Authentication Data, and the value of every User Property whose
    /// name looks secret (``MQTTProperties/looksSecret(_:)``), the will's properties included.
    ///
    /// - Parameter bytes: this packet as it crossed the wire (``PacketRecord/bytes``).
    /// - Returns: the bytes, masked; unchanged when the packet carries no such secret.
    public func maskingSecrets(in bytes: [UInt8]) -> [UInt8] {
        var masked = bytes
        var properties = Array(self.properties)
        if case .connect(let connect) = self {
            // The password is a CONNECT's last field, in both versions: masked whatever it
            // is, since firmware the harness does not own may present one it never learnt.
            if let password = connect.password, password.readableBytes > 0, password.readableBytes <= masked.count {
                Self.mask(&masked, (masked.count - password.readableBytes)..<masked.count)
            }
            if let will = connect.will { properties += Array(will.properties) }
        }
        for property in properties {
            // The property as it is encoded (identifier, lengths, value): where it occurs,
            // its secret part is masked.
            switch property {
            case .authenticationData(let data) where data.readableBytes > 0:
                let value = Array(data.readableBytesView)
                Self.mask(&masked, value, after: [MQTTPropertyIdentifier.authenticationData.rawValue] + Self.length(value))
            case .userProperty(let name, let value) where MQTTProperties.looksSecret(name) && !value.isEmpty:
                let nameBytes = Array(name.utf8)
                let valueBytes = Array(value.utf8)
                Self.mask(&masked, valueBytes, after: [MQTTPropertyIdentifier.userProperty.rawValue] + Self.length(nameBytes) + nameBytes + Self.length(valueBytes))
            default:
                continue
            }
        }
        return masked
    }

    /// A two-byte big-endian length prefix.
    private static func length(_ bytes: [UInt8]) -> [UInt8] {
        [UInt8(truncatingIfNeeded: bytes.count >> 8), UInt8(truncatingIfNeeded: bytes.count)]
    }

    /// Masks `value` wherever it follows `prefix` in `bytes`.
    private static func mask(_ bytes: inout [UInt8], _ value: [UInt8], after prefix: [UInt8]) {
        let needle = prefix + value
        guard needle.count <= bytes.count else { return }
        var index = 0
        while index + needle.count <= bytes.count {
            if bytes[index] == needle[0], bytes[index..<(index + needle.count)].elementsEqual(needle) {
                mask(&bytes, (index + prefix.count)..<(index + needle.count))
                index += needle.count
            } else {
                index += 1
            }
        }
    }

    private static func mask(_ bytes: inout [UInt8], _ range: Range<Int>) {
        for position in range { bytes[position] = UInt8(ascii: "*") }
    }
}
