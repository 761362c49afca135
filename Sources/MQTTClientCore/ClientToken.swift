/// The password a client presents (normally a SAS token), and when it stops being valid.
public struct ClientToken: Sendable, Hashable, CustomStringConvertible {
    /// The MQTT password. Secret.
    public var password: String
    /// Expiry in Unix seconds (the SAS `se`), when known.
    public var expiry: Int64?

    public init(password: String, expiry: Int64?) {
        self.password = password
        self.expiry = expiry
    }

    /// Never shows the password.
    public var description: String {
        expiry.map { "token (expires at \($0))" } ?? "token (expiry unknown)"
    }
}
