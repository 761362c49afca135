import NIOCore

/// A device that can write raw bytes on its connection, for conformance tests that send
/// what no well-behaved client would (malformed packets, a second CONNECT).
public protocol RawByteSending: Device {
    /// Writes `bytes` as they are. When the connection is not open, opens the transport
    /// described by `request` first (TCP, or TLS when it says so) without sending CONNECT.
    /// - Returns: ``OperationOutcome/answered`` once the bytes are written, or how it failed.
    func sendBytes(_ bytes: ByteBuffer, opening request: ConnectRequest) async throws -> OperationOutcome
}
