import NIOCore

/// How a client answers an MQTT 5.0 enhanced authentication exchange (section 4.12): a fixed
/// list of answers, so the exchange is a value a scenario can write down and a test can
/// replay.
///
/// The CONNECT names the method (`authentication_method`) and may carry the first data. Each
/// AUTH with Continue authentication (0x18) the broker sends is answered with the next entry of
/// ``responses``, in order; a challenge beyond the last entry ends the attempt. A
/// re-authentication (``MQTTClientSession/Operation/reauthenticate``) sends
/// ``reauthenticationData`` with AUTH 0x19 and answers the broker's challenges from the start
/// of ``responses`` again.
public struct AuthenticationPolicy: Sendable, Hashable {
    /// The authentication data of each answer, in order.
    public var responses: [ByteBuffer]
    /// The data sent with AUTH Re-authenticate; `nil` sends none.
    public var reauthenticationData: ByteBuffer?

    public init(responses: [ByteBuffer], reauthenticationData: ByteBuffer? = nil) {
        self.responses = responses
        self.reauthenticationData = reauthenticationData
    }
}
