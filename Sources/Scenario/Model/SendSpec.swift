import IoTHubCore
import NIOCore

/// A `send:` step: the C2D message, and whether the hub should take it.
public struct SendSpec: Sendable, Hashable {
    /// The message, as every back end sends it.
    public var message: CloudToDeviceMessage
    /// `nil`: the hub must accept the message. Otherwise it must refuse it (a full queue, an
    /// oversize body), and accepting it fails the step.
    public var refusal: CloudToDeviceRefusal?
    /// The payload holds a secret value, so it is never shown cut (a cut secret escapes
    /// masking).
    public var payloadHoldsSecret = false

    public init(_ message: CloudToDeviceMessage, refusal: CloudToDeviceRefusal? = nil) {
        self.message = message
        self.refusal = refusal
    }

    /// A message with this text as its payload.
    public init(payload: String, refusal: CloudToDeviceRefusal? = nil) {
        self.init(CloudToDeviceMessage(payload: ByteBuffer(string: payload)), refusal: refusal)
    }

    /// The payload as the scenario wrote it (scenario payloads are text).
    public var payloadText: String { String(buffer: message.payload) }

    /// `"on"`, plus the properties and the expected refusal if any.
    public var summary: String {
        var text = PayloadText.summary(payloadText, holdsSecret: payloadHoldsSecret)
        if !message.properties.isEmpty { text += " \(message.properties.encoded)" }
        if let refusal { text += ", refused\(refusal.summary)" }
        return text
    }
}

/// The refusal a `send` expects.
public enum CloudToDeviceRefusal: Sendable, Hashable {
    /// Any refusal (`refused: true`).
    case any
    /// A refusal with this IoT Hub error code (`refused: DeviceMaximumQueueDepthExceeded`),
    /// as spelt: a real hub has codes beyond ``IoTHubErrorCode``.
    case code(String)

    var summary: String {
        switch self {
        case .any: ""
        case .code(let code): " with \(code)"
        }
    }
}

/// Payload text for console lines, test case names and failure messages: short payloads as
/// they are (reports mask any secret in them), long ones (limit tests send 64 KB) cut, with
/// their size, and not shown at all when they hold a secret, which cutting could split so that
/// masking no longer finds it.
enum PayloadText {
    static let shownCharacters = 24

    static func summary(_ payload: String, holdsSecret: Bool) -> String {
        guard payload.count > shownCharacters * 2 else { return "\"\(payload)\"" }
        guard !holdsSecret else { return "(\(payload.utf8.count) bytes holding a secret)" }
        return "\"\(payload.prefix(shownCharacters))…\" (\(payload.utf8.count) bytes)"
    }

    /// `seed` repeated, and cut, to exactly `size` bytes (`payload_size`). `seed` is ASCII
    /// (the parser checks), so bytes and characters agree.
    static func expand(_ seed: String, toSize size: Int) -> String {
        let bytes = Array(seed.utf8)
        guard !bytes.isEmpty else { return String(repeating: "x", count: size) }
        var result: [UInt8] = []
        result.reserveCapacity(size)
        while result.count < size { result.append(bytes[result.count % bytes.count]) }
        return String(decoding: result, as: UTF8.self)
    }
}
