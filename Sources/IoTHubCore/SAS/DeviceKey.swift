import Foundation

/// A symmetric key for SAS signing (a device key or a shared access policy key), validated
/// from its base64 text once.
///
/// Its description never shows the key, so it can't leak into logs or reports.
public struct DeviceKey: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The decoded key bytes.
    public let bytes: [UInt8]
    /// The key as base64 text, as IoT Hub shows it. Secret: never print it.
    public let base64: String

    /// Validates base64 key text.
    /// - Throws: ``IoTHubCoreError/invalidKey(reason:)`` when it is not base64 or is empty.
    public init(base64 text: String) throws(IoTHubCoreError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw .invalidKey(reason: "the key is empty") }
        guard let data = Data(base64Encoded: trimmed) else {
            throw .invalidKey(reason: "the key is not valid base64 (\(trimmed.count) characters)")
        }
        guard !data.isEmpty else { throw .invalidKey(reason: "the key decodes to zero bytes") }
        self.bytes = Array(data)
        self.base64 = trimmed
    }

    /// Creates a key from raw bytes.
    public init(bytes: [UInt8]) {
        self.bytes = bytes
        self.base64 = Data(bytes).base64EncodedString()
    }

    /// A new random 32-byte key, as IoT Hub generates for new devices.
    public static func random() -> DeviceKey {
        var generator = SystemRandomNumberGenerator()
        return DeviceKey(bytes: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    public var description: String { "DeviceKey(***)" }
    public var debugDescription: String { description }
}
