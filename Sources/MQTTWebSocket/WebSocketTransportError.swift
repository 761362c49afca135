import NIOWebSocket

/// Why a WebSocket carrying MQTT was closed, in plain words: a frame the peer must not send, a
/// frame over the size bound, or a close the peer sent.
public struct WebSocketTransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The WebSocket close code sent (or received), e.g. 1003 for a text frame.
    public var closeCode: UInt16
    /// What happened, in plain words.
    public var reason: String

    public init(closeCode: UInt16, reason: String) {
        self.closeCode = closeCode
        self.reason = reason
    }

    /// The plain-words form of an error of NIO's frame decoder.
    /// - Parameter maximumFrameSize: the bound the decoder applied, named in the text.
    public init(_ error: NIOWebSocketError, maximumFrameSize: Int) {
        switch error {
        case .invalidFrameLength:
            self.init(closeCode: 1009, reason: "a WebSocket frame is larger than the maximum of \(maximumFrameSize) bytes")
        case .fragmentedControlFrame:
            self.init(closeCode: 1002, reason: "a WebSocket control frame is fragmented")
        case .multiByteControlFrameLength:
            self.init(closeCode: 1002, reason: "a WebSocket control frame is longer than 125 bytes")
        }
    }

    public var description: String { "WebSocket closed with \(closeCode): \(reason)" }
}
