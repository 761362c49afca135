/// CONNACK (section 3.2): the server's answer to CONNECT.
public struct ConnAckPacket: Sendable, Hashable {
    public var sessionPresent: Bool
    public var returnCode: ConnectReturnCode

    public init(sessionPresent: Bool = false, returnCode: ConnectReturnCode) {
        self.sessionPresent = sessionPresent
        self.returnCode = returnCode
    }
}

/// The CONNACK return code (Table 3.1).
public enum ConnectReturnCode: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case accepted = 0
    case unacceptableProtocolVersion = 1
    case identifierRejected = 2
    case serverUnavailable = 3
    case badUsernameOrPassword = 4
    case notAuthorized = 5

    /// The snake-case name scenarios use, for example `not_authorized`.
    public var name: String {
        switch self {
        case .accepted: "accepted"
        case .unacceptableProtocolVersion: "unacceptable_protocol_version"
        case .identifierRejected: "identifier_rejected"
        case .serverUnavailable: "server_unavailable"
        case .badUsernameOrPassword: "bad_username_or_password"
        case .notAuthorized: "not_authorized"
        }
    }

    /// `5 (not_authorized)`.
    public var description: String { "\(rawValue) (\(name))" }

    /// Parses a scenario name (`accepted`, `not_authorized`) or a number (`5`).
    public init?(name: String) {
        if let number = UInt8(name), let code = ConnectReturnCode(rawValue: number) {
            self = code
            return
        }
        guard let code = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = code
    }
}
