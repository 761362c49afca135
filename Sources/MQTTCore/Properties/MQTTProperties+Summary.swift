import NIOCore

extension MQTTProperties {
    /// The properties as `name=value` items for traces, with secrets masked as passwords are:
    /// Authentication Data and every User Property whose name looks secret (see
    /// ``looksSecret(_:)``) show only their length; binary values show their length. Text is
    /// shown as sent; the report writers escape it.
    public var summary: String {
        map { property in
            switch property {
            case .authenticationData(let data):
                return "authentication_data=(\(data.readableBytes) bytes)"
            case .correlationData(let data):
                return "correlation_data=(\(data.readableBytes) bytes)"
            default:
                return property.description
            }
        }.joined(separator: " ")
    }

    /// Whether a User Property named `name` probably carries a secret: its name contains
    /// (ignoring case) one of `password`, `passwd`, `pwd`, `secret`, `token`, `key`,
    /// `signature`, `sig`, `sas`, `credential`, `auth`, `cookie`, `session`.
    public static func looksSecret(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return secretWords.contains { lowered.contains($0) }
    }

    private static let secretWords = [
        "password", "passwd", "pwd", "secret", "token", "key", "signature", "sig", "sas", "credential", "auth",
        "cookie", "session",
    ]
}
