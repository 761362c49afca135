/// A validated IoT Hub device id: 1 to 128 ASCII characters from the set IoT Hub allows
/// (letters, digits and `- . + % _ # * ? ! ( ) , = @ $ '`). Case-sensitive.
public struct DeviceID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let string: String

    static let allowedPunctuation = Set("-.+%_#*?!(),=@$'".utf8)

    /// Validates `string` as a device id.
    /// - Throws: ``IoTHubCoreError/invalidDeviceID(_:reason:)``.
    public init(_ string: String) throws(IoTHubCoreError) {
        guard !string.isEmpty else { throw .invalidDeviceID(string, reason: "it is empty") }
        guard string.utf8.count <= 128 else {
            throw .invalidDeviceID(string, reason: "it is longer than 128 characters")
        }
        for byte in string.utf8 {
            let isAlphanumeric = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            guard isAlphanumeric || Self.allowedPunctuation.contains(byte) else {
                throw .invalidDeviceID(string, reason: "character '\(Character(Unicode.Scalar(byte)))' is not allowed")
            }
        }
        self.string = string
    }

    /// An id made of parts already checked as a whole (a fleet's member ids: the pattern and
    /// its longest index were checked once, and digits are always allowed).
    package init(checkedParts string: String) {
        self.string = string
    }

    public static func < (lhs: DeviceID, rhs: DeviceID) -> Bool { lhs.string < rhs.string }
    public var description: String { string }
}
