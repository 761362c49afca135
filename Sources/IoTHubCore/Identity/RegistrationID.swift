/// A DPS registration id: 1 to 128 characters, lowercase letters, digits and `- . _ :`, as
/// the service documents it. It is also the device id the provisioned device gets.
public struct RegistrationID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let string: String

    /// Validates `string`.
    /// - Throws: ``ProvisioningError/invalidRegistrationID(_:reason:)``.
    public init(_ string: String) throws(ProvisioningError) {
        guard !string.isEmpty else { throw .invalidRegistrationID(string, reason: "it is empty") }
        guard string.utf8.count <= 128 else { throw .invalidRegistrationID(string, reason: "it is longer than 128 characters") }
        for byte in string.utf8 {
            let allowed = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) || Set("-._:".utf8).contains(byte)
            guard allowed else {
                let shown = byte < 0x20 || byte > 0x7E ? "0x" + String(byte, radix: 16, uppercase: true) : String(Character(Unicode.Scalar(byte)))
                throw .invalidRegistrationID(string, reason: "character '\(shown)' is not allowed (lowercase letters, digits and - . _ : only)")
            }
        }
        self.string = string
    }

    /// The device id a provisioned device gets: the registration id itself.
    public var deviceID: DeviceID? { try? DeviceID(string) }

    public static func < (lhs: RegistrationID, rhs: RegistrationID) -> Bool { lhs.string < rhs.string }
    public var description: String { string }
}

/// What is wrong with provisioning input.
public enum ProvisioningError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidRegistrationID(String, reason: String)
    case malformedUsername(reason: String)
    case malformedTopic(reason: String)

    public var description: String {
        switch self {
        case .invalidRegistrationID(let text, let reason):
            "registration id '\(PeerText.escaped(text, limit: 64))' is not valid: \(reason)"
        case .malformedUsername(let reason): "DPS user name: \(reason)"
        case .malformedTopic(let reason): "DPS topic: \(reason)"
        }
    }
}
