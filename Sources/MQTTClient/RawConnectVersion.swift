import MQTTCore
import NIOCore

/// The protocol version a raw write's CONNECT asks for, so that the client's codec decodes the
/// broker's answers in the layout the CONNECT chose (a 3.1.1 device sending a level-5 CONNECT
/// with `send_bytes` gets its CONNACK decoded as MQTT 5.0, and the reverse).
enum RawConnectVersion {
    /// The version of the CONNECT at the start of `bytes`: 5.0 for protocol level 5, 3.1.1 for
    /// levels 3 and 4; `nil` when the bytes do not start with a CONNECT whose level they
    /// reach.
    static func of(_ bytes: ByteBuffer) -> MQTTProtocolVersion? {
        let view = bytes.readableBytesView
        var index = view.startIndex
        guard index < view.endIndex, view[index] == 0x10 else { return nil }
        index += 1
        // The Remaining Length: up to four bytes, the last without its high bit.
        var lengthBytes = 0
        while true {
            guard index < view.endIndex, lengthBytes < 4 else { return nil }
            let byte = view[index]
            index += 1
            lengthBytes += 1
            if byte & 0x80 == 0 { break }
        }
        // The protocol name (a two-byte length and the name), then the level.
        guard view.endIndex - index >= 2 else { return nil }
        let nameLength = Int(view[index]) << 8 | Int(view[index + 1])
        let levelIndex = index + 2 + nameLength
        guard levelIndex < view.endIndex else { return nil }
        return MQTTProtocolVersion(protocolLevel: view[levelIndex])
    }
}
