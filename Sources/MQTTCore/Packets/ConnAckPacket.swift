/// CONNACK (section 3.2): the server's answer to CONNECT.
///
/// One model for both versions: ``reasonCode`` holds the MQTT 5.0 code (section 3.2.2.2). An
/// MQTT 3.1.1 CONNACK holds the MQTT 5.0 code of the same meaning as its return code (0 is
/// 0x00 Success, 1 to 5 are 0x84 to 0x88, see ``ConnectReturnCode/reasonCode``), so
/// ``returnCode`` reads and writes it in 3.1.1 terms.
public struct ConnAckPacket: Sendable, Hashable {
    public var sessionPresent: Bool
    /// The outcome (MQTT 5.0 section 3.2.2.2).
    public var reasonCode: MQTTReasonCode
    /// MQTT 5.0 CONNACK properties (section 3.2.2.3). Empty for MQTT 3.1.1.
    public var properties: MQTTProperties

    /// An MQTT 3.1.1 CONNACK (or an MQTT 5.0 one with the code of the same meaning).
    public init(sessionPresent: Bool = false, returnCode: ConnectReturnCode) {
        self.sessionPresent = sessionPresent
        self.reasonCode = returnCode.reasonCode
        self.properties = .none
    }

    /// A CONNACK with an MQTT 5.0 reason code and properties.
    public init(sessionPresent: Bool = false, reasonCode: MQTTReasonCode, properties: MQTTProperties = .none) {
        self.sessionPresent = sessionPresent
        self.reasonCode = reasonCode
        self.properties = properties
    }

    /// The outcome in MQTT 3.1.1 terms (Table 3.1): exact for the six codes both versions
    /// share; for an MQTT 5.0 refusal 3.1.1 cannot express, the nearest (Bad authentication
    /// method: 4; Banned: 5; any other: 3, server unavailable). Setting it sets
    /// ``reasonCode``.
    public var returnCode: ConnectReturnCode {
        get { ConnectReturnCode(exactly: reasonCode) ?? ConnectReturnCode(nearest: reasonCode) }
        set { reasonCode = newValue.reasonCode }
    }

    /// Whether the server accepted the connection.
    public var isAccepted: Bool { reasonCode == .success }
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

    /// The MQTT 5.0 reason code of the same meaning (section 3.2.2.2): 0x00, 0x84 Unsupported
    /// Protocol Version, 0x85 Client Identifier not valid, 0x88 Server unavailable, 0x86 Bad
    /// User Name or Password, 0x87 Not authorized.
    public var reasonCode: MQTTReasonCode {
        switch self {
        case .accepted: .success
        case .unacceptableProtocolVersion: .unsupportedProtocolVersion
        case .identifierRejected: .clientIdentifierNotValid
        case .serverUnavailable: .serverUnavailable
        case .badUsernameOrPassword: .badUserNameOrPassword
        case .notAuthorized: .notAuthorized
        }
    }

    /// The return code whose MQTT 5.0 counterpart is `reasonCode`, if there is one.
    public init?(exactly reasonCode: MQTTReasonCode) {
        guard let code = Self.allCases.first(where: { $0.reasonCode == reasonCode }) else { return nil }
        self = code
    }

    /// The nearest 3.1.1 return code for any MQTT 5.0 CONNACK reason code.
    init(nearest reasonCode: MQTTReasonCode) {
        switch reasonCode {
        case .success: self = .accepted
        case .badAuthenticationMethod: self = .badUsernameOrPassword
        case .banned: self = .notAuthorized
        default: self = ConnectReturnCode(exactly: reasonCode) ?? .serverUnavailable
        }
    }
}
