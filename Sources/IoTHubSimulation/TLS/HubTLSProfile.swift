import NIOSSL

/// What the hub's TLS accepts: the real IoT Hub's rules since its August 2025 clean-up
/// (``strict``, the default), or the older ones a board whose TLS cannot do better needs
/// (``legacy``). Named in the hub's banner and in every refusal it reports.
public enum HubTLSProfile: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// TLS 1.2 and 1.3 only; for TLS 1.2 only the ECDHE_RSA suites with AES-GCM or AES-CBC
    /// with SHA-256 the real hub enforces (iothub-mqtt.md section 11); TLS 1.3 only with SNI
    /// (a client that sends none gets TLS 1.2 at most).
    case strict
    /// Also TLS 1.0 and 1.1 and the older suites the real hub dropped: RSA key exchange
    /// (TLS_RSA_WITH_AES_*), and ECDHE_RSA with AES-CBC-SHA; TLS 1.3 with or without SNI.
    /// For boards such as axTLS-based ESP8266 MicroPython.
    case legacy

    /// The profile named `name`.
    /// - Throws: ``HubTLSError/unknownProfile(_:)`` naming the profiles there are.
    public init(named name: String) throws(HubTLSError) {
        guard let profile = HubTLSProfile(rawValue: name) else { throw .unknownProfile(name) }
        self = profile
    }

    public var description: String {
        switch self {
        case .strict: "strict (the real IoT Hub's since August 2025: TLS 1.2 with ECDHE suites, or 1.3)"
        case .legacy: "legacy (TLS 1.0 to 1.3, RSA key exchange allowed; the real IoT Hub refuses such clients)"
        }
    }

    /// The lowest TLS version accepted.
    public var minimumVersion: TLSVersion {
        switch self {
        case .strict: .tlsv12
        case .legacy: .tlsv1
        }
    }

    /// The TLS 1.2 (and older) suites, strongest first, as OpenSSL names them. TLS 1.3 suites
    /// are not configurable (all three AEAD suites). BoringSSL has no
    /// TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, which the real hub also lists.
    public var cipherSuites: [String] {
        let strong = ["ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA256"]
        switch self {
        case .strict:
            return strong
        case .legacy:
            return strong + [
                "ECDHE-RSA-AES256-SHA", "ECDHE-RSA-AES128-SHA",
                "AES256-GCM-SHA384", "AES128-GCM-SHA256", "AES256-SHA", "AES128-SHA",
            ]
        }
    }

    /// The highest TLS version a client that sent `serverName` (SNI) can get: the real hub
    /// needs SNI for TLS 1.3 (iothub-mqtt.md section 11), so without one the strict profile
    /// stops at TLS 1.2.
    public func maximumVersion(serverName: String?) -> TLSVersion {
        self == .strict && serverName == nil ? .tlsv12 : .tlsv13
    }

    /// The hub's words for a failed handshake: what this profile refused, or what the client
    /// said when it gave up. `serverName` is the SNI the client sent, if any.
    public func refusalReason(for error: any Error, serverName: String?) -> String {
        let text = String(describing: error)
        let profile = "TLS profile \(rawValue)"
        if text.contains("UNSUPPORTED_PROTOCOL") || text.contains("PROTOCOL_VERSION") {
            if self == .strict, serverName == nil {
                return "the client offered no TLS version the hub accepts without SNI: \(profile) takes TLS 1.2 (ECDHE suites) or, with SNI, TLS 1.3; TLS 1.0 and 1.1 are refused as on the real IoT Hub since 31 Aug 2025"
            }
            return "the client offered only TLS versions older than the \(profile) accepts (\(self == .strict ? "TLS 1.2" : "TLS 1.0") or newer); the real IoT Hub refuses TLS 1.0 and 1.1 since 31 Aug 2025"
        }
        if text.contains("NO_SHARED_CIPHER") {
            return "no cipher suite in common: \(profile) takes only \(cipherSuites.joined(separator: ", ")) for TLS 1.2"
                + (self == .strict ? "; RSA key exchange and other weak suites are refused as on the real IoT Hub since 31 Aug 2025 (the legacy profile accepts them)" : "")
        }
        for (alert, meaning) in Self.clientAlerts where text.contains(alert) {
            return "the client ended the handshake: \(meaning) (\(alert))"
        }
        if text.contains("uncleanShutdown") || text.contains("eof") || text.contains("EOF") {
            return "the client closed the connection during the TLS handshake"
        }
        return "the TLS handshake failed under \(profile)"
    }

    private static let clientAlerts: [(String, String)] = [
        ("TLSV1_ALERT_UNKNOWN_CA", "it does not trust the hub's certificate chain (unknown CA)"),
        ("SSLV3_ALERT_BAD_CERTIFICATE", "it rejected the hub's certificate"),
        ("SSLV3_ALERT_CERTIFICATE_EXPIRED", "it found the hub's certificate expired"),
        ("SSLV3_ALERT_CERTIFICATE_UNKNOWN", "it could not verify the hub's certificate"),
        ("TLSV1_ALERT_DECRYPT_ERROR", "it could not verify the hub's signature"),
        ("SSLV3_ALERT_HANDSHAKE_FAILURE", "it found nothing acceptable in the hub's answer"),
    ]
}
